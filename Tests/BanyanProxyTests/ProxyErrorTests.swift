import Testing

@testable import BanyanProxy

@Suite("Proxy errors")
struct ProxyErrorTests {
    @Test(
        "the admin API answers each code with its HTTP status",
        arguments: [
            (ProxyError.Code.usage, 400), (.adminNotLoopback, 400), (.listen, 400), (.reload, 400),
            (.unknownRoute, 404), (.notFound, 404), (.conflict, 409),
        ])
    func status(code: ProxyError.Code, expected: Int) {
        #expect(AdminAPI.status(of: code) == expected)
    }

    @Test("the user reads the message; a developer reads the code, the message and the cause")
    func descriptions() {
        struct Refused: Error, CustomDebugStringConvertible {
            var debugDescription: String { "Refused(errno: 98)" }
        }
        let error = ProxyError(.listen, "listen: cannot listen on 127.0.0.1:80: address in use", cause: Refused())
        #expect(error.description == "listen: cannot listen on 127.0.0.1:80: address in use")
        #expect(
            error.debugDescription
                == "ProxyError(listen): listen: cannot listen on 127.0.0.1:80: address in use (cause: Refused(errno: 98))"
        )
        #expect(
            ProxyError(.unknownRoute, "no route 'GET /x'").debugDescription
                == "ProxyError(unknownRoute): no route 'GET /x'")
    }
}
