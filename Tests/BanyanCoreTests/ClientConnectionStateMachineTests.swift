import Testing

@testable import BanyanCore

/// The client connection's life as a plain value: every phase, deadline and backpressure rule,
/// with times in nanoseconds chosen by the test.
@Suite("Client connection state machine")
struct ClientConnectionStateMachineTests {
    typealias Machine = ClientConnectionStateMachine

    static let second: Int64 = 1_000_000_000
    /// head 5 s, body 30 s, idle 60 s, send 10 s, tunnel 600 s.
    static let deadlines = Machine.Deadlines(
        head: 5 * second, body: 30 * second, idle: 60 * second, send: 10 * second, tunnelIdle: 600 * second)

    func machine(at now: Int64 = 1_000 * second) -> Machine {
        var machine = Machine(now: now, deadlines: Self.deadlines)
        let action1 = machine.opened(admitted: true)
        #expect(action1)
        return machine
    }

    func exchange(started: Int64, complete: Bool, answered: Bool = false, upstreamDeadline: Int64) -> Machine.State {
        .exchange(
            Machine.Exchange(
                started: started, requestComplete: complete, answerStarted: answered,
                upstreamDeadline: upstreamDeadline))
    }

    let s = Self.second
    let t0 = 1_000 * Self.second

    // MARK: Opening and closing

    @Test("a connection past max_connections is refused and closed; an admitted one gives its place back once")
    func admission() {
        var refused = Machine(now: t0, deadlines: Self.deadlines)
        let action2 = refused.opened(admitted: false)
        #expect(!action2)
        #expect(refused.state == .closed)
        let action3 = refused.inactive()
        #expect(!action3)

        var admitted = machine()
        #expect(admitted.state == .idle(since: t0))
        let action4 = admitted.inactive()
        #expect(action4)
        let action5 = admitted.inactive()
        #expect(!action5)
        #expect(admitted.state == .closed)
    }

    @Test("closing happens once: a second close has nothing to do")
    func closingOnce() {
        var machine = machine()
        let action6 = machine.closing()
        #expect(action6)
        #expect(machine.isClosed)
        let action7 = machine.closing()
        #expect(!action7)
        machine.bytesArrived(now: t0 + s)
        machine.requestStarted(now: t0 + s, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        #expect(machine.state == .closed)
        #expect(machine.tick(now: t0 + 10_000 * s, draining: true) == nil)
    }

    // MARK: Requests

    @Test("a keep-alive request: idle, reading a head, an exchange, idle again from its end")
    func keepAliveRequest() {
        var machine = machine()
        machine.bytesArrived(now: t0 + 2 * s)
        #expect(machine.state == .readingHead(since: t0 + 2 * s))
        // More bytes of the same head do not move its start.
        machine.bytesArrived(now: t0 + 3 * s)
        #expect(machine.state == .readingHead(since: t0 + 2 * s))
        machine.requestStarted(now: t0 + 4 * s, requestComplete: true, upstreamDeadline: .max)
        machine.attemptStarted(upstreamDeadline: t0 + 64 * s)
        #expect(machine.state == exchange(started: t0 + 4 * s, complete: true, upstreamDeadline: t0 + 64 * s))
        machine.answerStarted()
        #expect(
            machine.state
                == exchange(started: t0 + 4 * s, complete: true, answered: true, upstreamDeadline: t0 + 64 * s))
        #expect(
            machine.exchangeEnded(now: t0 + 5 * s, closeClient: false, inboundPending: false)
                == .next(resumeReading: false))
        #expect(machine.state == .idle(since: t0 + 5 * s))
    }

    @Test("pipelined bytes waiting at the end of an exchange start the next head's deadline then")
    func pipelined() {
        var machine = machine()
        machine.bytesArrived(now: t0)
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        #expect(
            machine.exchangeEnded(now: t0 + 7 * s, closeClient: false, inboundPending: true)
                == .next(resumeReading: false))
        #expect(machine.state == .readingHead(since: t0 + 7 * s))
        #expect(machine.tick(now: t0 + 12 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 12 * s + 1, draining: false) == .headTimeout)
    }

    @Test("an answer that closes the client ends the connection")
    func closingAnswer() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        let action8 = machine.exchangeEnded(now: t0 + s, closeClient: true, inboundPending: true)
        #expect(action8 == .close)
        #expect(machine.state == .closed)
        let action9 = machine.closing()
        #expect(!action9)
    }

    @Test("a request body streams in: the body deadline runs from the head until the body completes")
    func bodyDeadline() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: false, upstreamDeadline: t0 + 60 * s)
        #expect(machine.tick(now: t0 + 30 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 30 * s + 1, draining: false) == .bodyTimeout(answerStarted: false))
        machine.answerStarted()
        #expect(machine.tick(now: t0 + 30 * s + 1, draining: false) == .bodyTimeout(answerStarted: true))
        machine.requestCompleted()
        #expect(machine.tick(now: t0 + 1_000 * s, draining: false) == nil)
    }

    @Test("the upstream deadline is the current attempt's, and ends with the answer's head")
    func upstreamDeadline() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: .max)
        machine.attemptStarted(upstreamDeadline: t0 + 2 * s)
        #expect(machine.tick(now: t0 + 2 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 2 * s + 1, draining: false) == .upstreamTimeout)
        // A fallback's attempt has a deadline of its own.
        machine.attemptStarted(upstreamDeadline: t0 + 62 * s)
        #expect(machine.tick(now: t0 + 3 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 63 * s, draining: false) == .upstreamTimeout)
        machine.answerStarted()
        #expect(machine.tick(now: t0 + 63 * s, draining: false) == nil)
    }

    @Test("the upstream deadline is checked before the body deadline")
    func upstreamBeforeBody() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: false, upstreamDeadline: t0 + 60 * s)
        #expect(machine.tick(now: t0 + 61 * s, draining: false) == .upstreamTimeout)
    }

    // MARK: Idle, head, draining

    @Test("an idle connection expires after idle_timeout; draining closes it at once")
    func idle() {
        let machine = machine()
        #expect(machine.tick(now: t0 + 60 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 60 * s + 1, draining: false) == .idle)
        #expect(machine.tick(now: t0 + s, draining: true) == .draining)
    }

    @Test("a head that trickles in expires at head_timeout from its first byte, whatever arrives after")
    func slowloris() {
        var machine = machine()
        machine.bytesArrived(now: t0 + 50 * s)
        for second in Int64(51)...55 { machine.bytesArrived(now: t0 + second * s) }
        #expect(machine.tick(now: t0 + 55 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 55 * s + 1, draining: false) == .headTimeout)
        // Draining closes a connection whose head is still coming, before its deadline.
        #expect(machine.tick(now: t0 + 51 * s, draining: true) == .draining)
        // The head's own deadline is reported first.
        #expect(machine.tick(now: t0 + 56 * s, draining: true) == .headTimeout)
    }

    @Test("an exchange in progress is not closed by draining or the idle deadline")
    func exchangeIgnoresIdle() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 600 * s)
        #expect(machine.tick(now: t0 + 100 * s, draining: true) == nil)
    }

    @Test("shutdown's far future expires every deadline without overflow")
    func farFuture() {
        let idle = machine()
        #expect(idle.tick(now: .max, draining: true) == .draining)
        var waiting = machine()
        waiting.requestStarted(now: t0, requestComplete: true, upstreamDeadline: .max - 1)
        #expect(waiting.tick(now: .max, draining: true) == .upstreamTimeout)
    }

    // MARK: Backpressure

    @Test("pipelined bytes past the inbound limit pause reading; the exchange's end resumes it")
    func inboundLimit() {
        var machine = machine()
        let action10 = machine.inboundBuffered(100_000)
        #expect(action10 == .none)  // no exchange: the bytes are parsed at once
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        let action11 = machine.inboundBuffered(65_536)
        #expect(action11 == .none)
        let action12 = machine.inboundBuffered(65_537)
        #expect(action12 == .pause)
        #expect(machine.readingPaused)
        let action13 = machine.inboundBuffered(70_000)
        #expect(action13 == .none)
        #expect(
            machine.exchangeEnded(now: t0 + s, closeClient: false, inboundPending: true) == .next(resumeReading: true))
        #expect(!machine.readingPaused)
    }

    @Test("an upstream not taking the body pauses the client; it resumes once writable and the backlog is small")
    func slowUpstreamReader() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: false, upstreamDeadline: t0 + 60 * s)
        let action14 = machine.upstreamWritabilityChanged(writable: false, inboundBytes: 0)
        #expect(action14 == .pause)
        let action15 = machine.upstreamWritabilityChanged(writable: false, inboundBytes: 0)
        #expect(action15 == .none)
        let action16 = machine.upstreamWritabilityChanged(writable: true, inboundBytes: 65_537)
        #expect(action16 == .none)
        #expect(machine.readingPaused)
        let action17 = machine.upstreamWritabilityChanged(writable: true, inboundBytes: 65_536)
        #expect(action17 == .resume)
        #expect(!machine.readingPaused)
        let action18 = machine.upstreamWritabilityChanged(writable: true, inboundBytes: 0)
        #expect(action18 == .none)
        // Once the body is complete, the upstream's writability no longer concerns the client.
        machine.requestCompleted()
        let action19 = machine.upstreamWritabilityChanged(writable: false, inboundBytes: 0)
        #expect(action19 == .none)
    }

    @Test("a client behind by the buffer bound holds the upstream once; writable again releases it")
    func slowClientReader() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        machine.answerStarted()
        let action20 = machine.upstreamReadComplete(clientWritable: true)
        #expect(!action20)
        let action21 = machine.clientWritabilityChanged(writable: false, now: t0 + s)
        #expect(!action21)
        #expect(machine.sendStalledSince == t0 + s)
        let action22 = machine.upstreamReadComplete(clientWritable: false)
        #expect(action22)
        #expect(machine.upstreamHeld)
        let action23 = machine.upstreamReadComplete(clientWritable: false)
        #expect(!action23)
        // A second unwritable signal keeps the first stall time.
        let action24 = machine.clientWritabilityChanged(writable: false, now: t0 + 2 * s)
        #expect(!action24)
        #expect(machine.sendStalledSince == t0 + s)
        let action25 = machine.clientWritabilityChanged(writable: true, now: t0 + 3 * s)
        #expect(action25)
        #expect(!machine.upstreamHeld)
        #expect(machine.sendStalledSince == nil)
        let action26 = machine.clientWritabilityChanged(writable: true, now: t0 + 4 * s)
        #expect(!action26)
    }

    @Test("the answer's end releases a held upstream before it goes back to its pool")
    func answerEndReleases() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        let action27 = machine.upstreamReadComplete(clientWritable: false)
        #expect(action27)
        let action28 = machine.answerEnded()
        #expect(action28)
        let action29 = machine.answerEnded()
        #expect(!action29)
    }

    @Test("a client that takes no bytes for send_timeout expires, in an exchange and in a tunnel")
    func sendStalled() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        machine.answerStarted()
        _ = machine.clientWritabilityChanged(writable: false, now: t0 + s)
        #expect(machine.tick(now: t0 + 11 * s, draining: false) == nil)
        #expect(machine.tick(now: t0 + 11 * s + 1, draining: false) == .sendStalled)
        _ = machine.exchangeEnded(now: t0 + 2 * s, closeClient: false, inboundPending: false)
        #expect(machine.tick(now: t0 + 11 * s + 1, draining: false) == .sendStalled)
        _ = machine.clientWritabilityChanged(writable: true, now: t0 + 12 * s)
        #expect(machine.tick(now: t0 + 12 * s, draining: false) == nil)
    }

    // MARK: Tunnels

    @Test("an upgrade becomes a tunnel that expires after tunnel_idle_timeout without bytes; reading resumes")
    func tunnel() {
        var machine = machine()
        machine.requestStarted(now: t0, requestComplete: true, upstreamDeadline: t0 + 60 * s)
        let action30 = machine.inboundBuffered(65_537)
        #expect(action30 == .pause)
        let action31 = machine.tunnelStarted(now: t0 + s)
        #expect(action31)
        #expect(machine.isTunnel)
        #expect(!machine.readingPaused)
        machine.tunnelCarried(now: t0 + 100 * s)
        #expect(machine.state == .tunnel(lastActivity: t0 + 100 * s))
        #expect(machine.tick(now: t0 + 700 * s, draining: true) == nil)
        #expect(machine.tick(now: t0 + 700 * s + 1, draining: false) == .tunnelIdle)
        // A tunnel is not an exchange: its bytes do not pause the client, nor start a head.
        let action32 = machine.inboundBuffered(1_000_000)
        #expect(action32 == .none)
        machine.bytesArrived(now: t0 + 200 * s)
        #expect(machine.state == .tunnel(lastActivity: t0 + 100 * s))
        let action33 = machine.closing()
        #expect(action33)
        machine.tunnelCarried(now: t0 + 300 * s)
        #expect(machine.state == .closed)
    }
}
