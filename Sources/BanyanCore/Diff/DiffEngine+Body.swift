extension DiffEngine {
    /// Called only when the body bytes differ.
    func compareBodies(_ legacy: HTTPResponse, _ candidate: HTTPResponse, into differences: inout [Difference]) {
        let jsonTyped =
            HeaderImpact.isJSON(legacy.headers["content-type"])
            || HeaderImpact.isJSON(candidate.headers["content-type"])
        guard jsonTyped else {
            differences.append(bytesDifference(legacy.body, candidate.body))
            return
        }
        let legacyJSON = BodyParse(legacy.body)
        let candidateJSON = BodyParse(candidate.body)
        switch (legacyJSON.value, candidateJSON.value) {
        case (let legacyValue?, let candidateValue?):
            var comparer = BodyComparer()
            comparer.compare(legacyValue, candidateValue, at: JSONPath())
            differences += comparer.differences
        case (nil, nil):
            differences.append(bytesDifference(legacy.body, candidate.body))
        case (_?, nil):
            differences.append(
                Difference(
                    kind: .bodyNotJSON, severity: .breaking, legacy: BodyParse.preview(legacy.body),
                    candidate: BodyParse.preview(candidate.body),
                    explanation:
                        "legacy sends JSON but the candidate's body is not JSON (\(candidateJSON.problem)); "
                        + "`await res.json()` throws in JavaScript clients"))
        case (nil, _?):
            differences.append(
                Difference(
                    kind: .bodyNotJSON, severity: .breaking, legacy: BodyParse.preview(legacy.body),
                    candidate: BodyParse.preview(candidate.body),
                    explanation:
                        "the candidate sends JSON where legacy's body is not JSON (\(legacyJSON.problem)); "
                        + "clients that read the body as text or HTML will get something else"))
        }
    }

    private func bytesDifference(_ legacy: [UInt8], _ candidate: [UInt8]) -> Difference {
        let common = min(legacy.count, candidate.count)
        let first = (0..<common).first { legacy[$0] != candidate[$0] } ?? common
        return Difference(
            kind: .bodyBytes, severity: .breaking, legacy: BodyParse.preview(legacy),
            candidate: BodyParse.preview(candidate),
            explanation:
                "the bodies differ (legacy \(legacy.count) bytes, candidate \(candidate.count) bytes, "
                + "first difference at byte \(first)); clients that read the body see other content")
    }
}

/// A body read as JSON, or why it is not JSON.
struct BodyParse {
    var value: JSONValue?
    var problem: String

    init(_ body: [UInt8]) {
        if body.isEmpty {
            value = nil
            problem = "the body is empty"
            return
        }
        do {
            value = try JSONParser.parse(body)
            problem = ""
        } catch {
            value = nil
            problem = error.description
        }
    }

    /// The first 120 characters of a body as text, for reports.
    static func preview(_ body: [UInt8]) -> String {
        truncate(String(decoding: body.prefix(600), as: UTF8.self), body.count > 600)
    }

    static func truncate(_ text: String, _ longer: Bool = false, limit: Int = 120) -> String {
        guard text.count > limit || longer else { return text }
        return String(text.prefix(limit)) + "…"
    }
}
