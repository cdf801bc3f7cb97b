// The bytes the C/C++ lexing of comment-blind.ts and line-tails.ts looks for.
export const BS = 0x5c;
export const NL = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const TAB = 0x09;
export const VT = 0x0b;
export const FF = 0x0c;
export const QUOTE = 0x22;
export const APOS = 0x27;
export const SLASH = 0x2f;
export const STAR = 0x2a;
