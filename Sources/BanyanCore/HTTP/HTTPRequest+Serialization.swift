extension HTTPRequest {
    /// The request as HTTP/1.1 bytes, with `Host` and `Content-Length` added when absent.
    ///
    /// - Parameter host: the value for a `Host` header when the request has none (`127.0.0.1:3000`).
    public func serialized(host: String) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if !headers.contains("host") { head += "Host: \(host)\r\n" }
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        let framed = headers.contains("content-length") || headers.contains("transfer-encoding")
        if !framed && (!body.isEmpty || ["POST", "PUT", "PATCH"].contains(method)) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}
