/** Types of typedoc-plugin.mjs, for the tests that read its table. */
import type { Application } from "typedoc";
/** Source file (by package and base name) -> the group its exports appear under. */
export declare const GROUPS: Readonly<Record<string, Readonly<Record<string, string>>>>;
/** The order groups appear in, on every package's page. */
export declare const GROUP_ORDER: readonly string[];
export declare function load(app: Application): void;
