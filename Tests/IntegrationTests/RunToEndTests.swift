import Foundation
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The tests' way of running a tool to its end.
@Suite("Running a child process to its end")
struct RunToEndTests {
    @Test("a child gets standard input, output and error, and none of the test process's sockets")
    func noInheritedDescriptors() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        #expect(socket > 2)
        let inherited = try runToEnd("/usr/bin/test", ["-e", "/proc/self/fd/\(socket)"])
        #expect(inherited.status == 1)
        let standard = try runToEnd("/usr/bin/test", ["-e", "/proc/self/fd/2"])
        #expect(standard.status == 0)
    }

    @Test("a child past its time limit is stopped, and the error says what it printed")
    func timeLimit() throws {
        let started = Date()
        #expect {
            try runToEnd("/bin/sh", ["-c", "echo waiting; sleep 30"], timeLimit: 0.5)
        } throws: { error in
            "\(error)".hasPrefix("/bin/sh -c echo waiting; sleep 30 did not end within 0.5 s and was stopped; ")
                && "\(error)".contains("standard output:\nwaiting\n")
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("a child is listed as unreaped from its spawn until waitpid collects it")
    func unreapedChildren() throws {
        let child = try ChildProcess("/bin/sleep", ["5"])
        let pid = child.processIdentifier
        // Other tests spawn children meanwhile: only this one's entry is looked at.
        #expect(ChildProcess.unreaped.filter { $0.pid == pid }.map(\.command) == ["/bin/sleep 5"])
        child.stop()
        #expect(child.terminationStatus == 128 + SIGTERM)
        #expect(ChildProcess.unreaped.filter { $0.pid == pid }.isEmpty)
    }

    @Test("the folder, the environment and the exit status reach the caller")
    func folderAndEnvironment() throws {
        let run = try runToEnd(
            "/bin/sh", ["-c", "pwd; echo \"$BANYAN_TEST_VALUE\"; echo oops >&2; exit 3"],
            environment: ["BANYAN_TEST_VALUE": "seen"], directory: URL(fileURLWithPath: "/tmp"))
        #expect(run.status == 3)
        #expect(run.output == "/tmp\nseen\n")
        #expect(run.error == "oops\n")
    }

    @Test("a child is listed as unreaped from its start until waitpid collects its exit")
    func unreapedRegistry() async throws {
        let child = try ChildProcess("/bin/sh", ["-c", "sleep 30"])
        let pid = child.processIdentifier
        #expect(ChildProcess.unreaped.filter { $0.pid == pid }.map(\.command) == ["/bin/sh -c sleep 30"])
        #expect(await child.shutdown() == 128 + SIGTERM)
        #expect(ChildProcess.unreaped.filter { $0.pid == pid }.isEmpty)
    }
}
