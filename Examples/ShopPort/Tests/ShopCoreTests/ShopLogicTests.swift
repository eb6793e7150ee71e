import Testing

@testable import ShopCore

@Suite struct ShopLogicTests {
    @Test(arguments: [
        ("2026-06-02", 153), ("2026-01-01", 1), ("2024-12-31", 366), ("2026-12-31", 365), ("2000-02-29", 60),
        ("2026-1e1-05", 278), ("2026- 6-02", 153),
    ])
    func dayOfYear(date: String, expected: Int) {
        #expect(ShopLogic.dayOfYear(date) == expected)
    }

    @Test(arguments: [
        "1900-02-29", "2026-02-29", "2026-13-01", "2026-00-10", "2026-06-00", "2026-06-31", "2026-06", "2026-06-02-1",
        "abcd-01-01", "2026-06-2.5", "",
    ])
    func invalidDates(date: String) {
        #expect(ShopLogic.dayOfYear(date) == nil)
    }

    @Test func checkoutTotal() throws {
        let body = try JSONParser.parse(
            #"{"userId":42,"items":[{"sku":"BOOK-1","qty":2},{"sku":"PEN-9","qty":3},{"sku":"X","qty":9},null]}"#)
        #expect(ShopLogic.checkoutTotal(items: body["items"]) == 3600)
        #expect(ShopLogic.orderId(userId: body["userId"]) == "ord_42")
        #expect(ShopLogic.orderId(userId: .number(1e21)) == "ord_1e+21")
        #expect(ShopLogic.orderId(userId: .null) == nil)
        #expect(ShopLogic.checkoutTotal(items: .string("x")) == 0)
    }

    @Test func priceMatchesNode() {
        // Node: 190 + (Σ Math.sqrt(n), n = 1..1e6) / 1e10
        #expect(JSNumber.format(190.0 + ShopLogic.priceAdjustment()) == "190.0666667166459")
        #expect(JSNumber.format(120.75 + ShopLogic.priceAdjustment()) == "120.81666671664588")
    }

    @Test func dates() {
        let ms = JSDate.parseISO("2026-06-03T14:25:07.250Z")!
        #expect(JSDate.isoString(ms) == "2026-06-03T14:25:07.250Z")
        let zero = JSDate.parseISO("2026-06-02T10:00:00.000Z")!
        #expect(zero == 1_780_394_400_000)
        #expect(JSDate.isoString(zero) == "2026-06-02T10:00:00.000Z")
        #expect(JSDate.rfc3339DroppingZeroFraction(zero) == "2026-06-02T10:00:00Z")
        #expect(JSDate.isoString(0) == "1970-01-01T00:00:00.000Z")
    }
}

@Suite struct ExpressTests {
    @Test func routeMatching() {
        let route = RoutePattern("/users/:id")
        #expect(route.match("/users/1") == .matched(["id": "1"]))
        #expect(route.match("/USERS/1/") == .matched(["id": "1"]))
        #expect(route.match("/users/1/", strict: true) == .none)
        #expect(route.match("/users/a%2Fb") == .matched(["id": "a/b"]))
        #expect(route.match("/users/a+b") == .matched(["id": "a+b"]))
        #expect(route.match("/users/%ZZ") == .badParameter)
        #expect(route.match("/users/%E2%9C") == .badParameter)
        #expect(route.match("//users/1") == .none)
        #expect(route.match("/users/1//") == .none)
        #expect(route.match("/users/") == .none)
        #expect(RoutePattern("/users").match("/users/") == .matched([:]))
    }

    @Test func notFoundPageBytes() {
        let page = ExpressApp<Void>.errorPage(status: 404, method: "GET", message: "Cannot GET /nope")
        let expected =
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n"
            + "<body>\n<pre>Cannot GET /nope</pre>\n</body>\n</html>\n"
        #expect(page.body == Array(expected.utf8))
        #expect(page.body.count == 143)
        #expect(page.header("Content-Security-Policy") == "default-src 'none'")
        #expect(page.header("X-Content-Type-Options") == "nosniff")
    }

    @Test func encodeUrl() {
        #expect(URLCoding.encodeUrl("/a b<\"%zz%41") == "/a%20b%3C%22%25zz%41")
        #expect(URLCoding.escapeHtml("it's <&>") == "it&#39;s &lt;&amp;&gt;")
    }

    @Test func queryValues() {
        #expect(QueryString.lookup("limit", in: nil) == .absent)
        #expect(QueryString.lookup("limit", in: "limit=+4+") == .string(" 4 "))
        #expect(QueryString.lookup("limit", in: "limit[]=3").number(default: 10) == 3)
        #expect(QueryString.lookup("limit", in: "limit=1&limit=2").number(default: 10).isNaN)
        #expect(QueryString.lookup("limit", in: "limit[a]=1").number(default: 10).isNaN)
        #expect(QueryString.lookup("limit", in: "x=1").number(default: 10) == 10)
    }

    @Test func servesTheShop() {
        let shop = ShopService()
        let health = shop.handle(WireRequest(method: "GET", target: "/health"))
        #expect(health.status == 200)
        #expect(health.body == Array(#"{"status":"ok"}"#.utf8))
        #expect(health.header("ETag") == "W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\"")
        let order = Array(#"{"userId":42,"items":[{"sku":"BOOK-1","qty":2},{"sku":"PEN-9","qty":3}]}"#.utf8)
        let headers = [("Content-Type", "application/json"), ("Content-Length", String(order.count))]
        let checkout = shop.handle(WireRequest(method: "POST", target: "/checkout", headers: headers, body: order))
        #expect(checkout.body == Array(#"{"orderId":"ord_42","total":3600,"status":"confirmed"}"#.utf8))
        let options = shop.handle(WireRequest(method: "OPTIONS", target: "/users"))
        #expect(options.header("Allow") == "GET,HEAD,POST")
        let missing = shop.handle(WireRequest(method: "GET", target: "/users/abc"))
        #expect(missing.status == 404)
        #expect(missing.body == Array(#"{"error":"User not found"}"#.utf8))
    }
}
