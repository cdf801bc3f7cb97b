// The error codes of the JSON-RPC layer itself: the ones JSON-RPC 2.0 defines, and
// the few this transport adds (authentication, line size, cancellation). A
// protocol built on it adds its own application codes beside these.
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Not authenticated, or a wrong token: the connection is closed after this. */
  Unauthorized: -32001,
  MessageTooLarge: -32002,
  /** The request was cancelled, or ran past its time limit. On either side an error
   *  named 'AbortError' is this code, so cancellation crosses the wire as itself. */
  Cancelled: -32012,
} as const;
