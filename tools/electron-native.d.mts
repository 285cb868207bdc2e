export declare const ELECTRON_SQLITE_DIR: string;
export declare const ELECTRON_SQLITE_BINDING: string;
