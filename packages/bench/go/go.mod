module gochan.dev/bench

go 1.18
