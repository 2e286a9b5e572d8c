module gochan.dev/demo/seedserver

go 1.19
