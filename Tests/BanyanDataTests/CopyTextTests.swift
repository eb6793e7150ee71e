import BanyanCore
import NIOCore
import Testing

@testable import BanyanData

/// COPY's text format, as the PostgreSQL store writes it.
struct CopyTextTests {
    @Test(arguments: [
        (DataValue.null, #"\N"#), (.integer(0), "0"), (.integer(-9_223_372_036_854_775_808), "-9223372036854775808"),
        (.integer(9_007_199_254_740_993), "9007199254740993"), (.text("plain"), "plain"),
        (.text("tab\there\nline\\back\rcr"), #"tab\there\nline\\back\rcr"#), (.boolean(true), "t"),
        (.timestamp(1_780_394_400_250_000), "2026-06-02T10:00:00.250Z"), (.blob([0, 255]), #"\\x00ff"#),
        (.real(.infinity), "Infinity"), (.real(0.5), "0.5"), (.numeric("12.50"), "12.50"),
    ])
    func valuesInCopyTextFormat(value: DataValue, expected: String) {
        var buffer = ByteBuffer()
        PostgresStore.writeCopyText(value, to: &buffer)
        #expect(buffer.readString(length: buffer.readableBytes) == expected)
    }
}
