/// What RFC 9110 says a request method promises, which decides what the proxy may repeat.
public enum MethodSemantics {
    /// Methods whose repetition has the effect of one request (RFC 9110 §9.2.2): GET, HEAD,
    /// OPTIONS, TRACE, PUT and DELETE. Only these fall back to legacy after the candidate may
    /// have received them, and only these are shadowed unless a route says otherwise.
    public static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE": true
        default: false
        }
    }

    /// Methods that ask for no change at all (RFC 9110 §9.2.1): GET, HEAD, OPTIONS, TRACE.
    public static func isSafe(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "TRACE": true
        default: false
        }
    }
}
