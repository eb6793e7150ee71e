import BanyanCore
import Foundation
import Testing

@testable import BanyanAudit

private let dataFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data")

private func packageJSON(_ project: String) throws -> Data {
    try Data(contentsOf: dataFolder.appendingPathComponent("package-json/\(project)/package.json"))
}

private let knowledgeBase: KnowledgeBase = {
    do { return try KnowledgeBase.load() } catch { fatalError("the bundled knowledge base does not load: \(error)") }
}()

struct KnowledgeBaseTests {
    @Test func coversAtLeastTwoHundredPackagesEachWithSources() {
        #expect(knowledgeBase.packages.count == 249)
        var names = Set<String>()
        for package in knowledgeBase.packages {
            for name in [package.name] + package.aliases {
                #expect(names.insert(name).inserted, "\(name) is listed twice")
            }
            #expect(!package.sources.isEmpty, "\(package.name)")
            #expect(package.sources.allSatisfy { $0.hasPrefix("https://") }, "\(package.name)")
            for language in TargetLanguage.allCases {
                let side = package.equivalent(in: language)
                // A verdict other than none always names what to use; none names nothing.
                #expect((side.verdict == .noEquivalent) == (side.name == nil), "\(package.name) \(language)")
                #expect(!side.differs.isEmpty, "\(package.name) \(language) says nothing about what differs")
            }
        }
        #expect(names.count == 430)
    }

    @Test func coversTheCategoriesServersUse() {
        let categories = Set(knowledgeBase.packages.map(\.category))
        for category in [
            "framework", "middleware", "validation", "orm", "database-driver", "auth", "queue", "logging",
            "http-client", "cloud-sdk", "vendor-sdk",
        ] {
            #expect(categories.contains(category), "\(category)")
        }
    }

    @Test func aFamilyEntryCoversEveryPackageOfTheFamilyAndNothingElse() throws {
        let s3 = try #require(knowledgeBase.lookup("@aws-sdk/client-s3"))
        #expect(s3.name == "@aws-sdk/client-*")
        #expect(knowledgeBase.lookup("@aws-sdk/client-sqs")?.name == "@aws-sdk/client-sqs")
        #expect(knowledgeBase.lookup("@aws-sdk/lib-dynamodb")?.name == "@aws-sdk/lib-dynamodb")
        #expect(knowledgeBase.lookup("@aws-sdk/credential-providers") == nil)
        // Never guessed from a similar name.
        #expect(knowledgeBase.lookup("expresss") == nil)
        #expect(knowledgeBase.lookup("express-unknown-middleware") == nil)
        #expect(knowledgeBase.lookup("@hapi/joi")?.name == "joi")
    }

    @Test func refusesAnEntryWithoutSourcesOrWithAnUnknownVerdict() {
        let noSources =
            #"{"packages": [{"name": "x", "category": "c", "advice": "port", "sources": [],"#
            + #""rust": {"name": "y", "verdict": "direct"}, "swift": {"name": "z", "verdict": "direct"}}]}"#
        #expect(throws: KnowledgeBaseError.self) { try KnowledgeBase(json: Array(noSources.utf8), file: "kb.json") }
        let badVerdict =
            #"{"packages": [{"name": "x", "category": "c", "advice": "port", "sources": ["https://a"],"#
            + #""rust": {"name": "y", "verdict": "maybe"}, "swift": {"name": "z", "verdict": "direct"}}]}"#
        do {
            _ = try KnowledgeBase(json: Array(badVerdict.utf8), file: "kb.json")
            Issue.record("accepted an unknown verdict")
        } catch {
            #expect(error.description == "kb.json: x.rust.verdict must be direct, partial or none")
        }
    }
}

struct DependencyAuditTests {
    /// (package, rust verdict, swift verdict, advice) for dependencies of the three real applications.
    static let pinned: [(String, Verdict, Verdict, Advice)] = [
        ("express", .direct, .direct, .port),
        ("body-parser", .direct, .direct, .drop),
        ("cors", .direct, .direct, .port),
        ("ejs", .partial, .partial, .adapt),
        ("errorhandler", .direct, .direct, .drop),
        ("express-jwt", .partial, .partial, .adapt),
        ("express-session", .partial, .partial, .adapt),
        ("jsonwebtoken", .direct, .direct, .port),
        ("method-override", .partial, .partial, .adapt),
        ("mongoose", .partial, .partial, .adapt),
        ("mongoose-unique-validator", .partial, .partial, .adapt),
        ("morgan", .direct, .direct, .port),
        ("passport", .partial, .partial, .adapt),
        ("passport-local", .direct, .direct, .port),
        ("request", .direct, .direct, .port),
        ("slug", .direct, .noEquivalent, .adapt),
        ("underscore", .direct, .direct, .drop),
        ("snyk", .direct, .noEquivalent, .drop),
        ("@hapi/joi", .partial, .partial, .adapt),
        ("bcryptjs", .direct, .direct, .port),
        ("compression", .direct, .direct, .port),
        ("helmet", .partial, .noEquivalent, .adapt),
        ("express-rate-limit", .direct, .noEquivalent, .adapt),
        ("express-mongo-sanitize", .direct, .direct, .drop),
        ("http-status", .direct, .direct, .drop),
        ("nodemailer", .direct, .partial, .port),
        ("pm2", .direct, .direct, .drop),
        ("swagger-ui-express", .direct, .partial, .port),
        ("winston", .direct, .direct, .port),
        ("xss-clean", .partial, .partial, .adapt),
        ("stripe", .partial, .partial, .adapt),
        ("twilio", .noEquivalent, .noEquivalent, .rest),
        ("paypal-rest-sdk", .noEquivalent, .noEquivalent, .rest),
        ("node-quickbooks", .noEquivalent, .noEquivalent, .rest),
        ("googleapis", .partial, .noEquivalent, .rest),
        ("@octokit/rest", .direct, .noEquivalent, .port),
        ("multer", .direct, .direct, .port),
        ("connect-mongo", .partial, .noEquivalent, .adapt),
        ("bcrypt", .direct, .direct, .port),
        ("lusca", .partial, .noEquivalent, .adapt),
        ("pug", .partial, .partial, .adapt),
        ("instagram-node", .noEquivalent, .noEquivalent, .drop),
        ("jquery", .direct, .direct, .drop),
    ]

    static func audits() throws -> [String: DependencyAudit] {
        var result: [String: DependencyAudit] = [:]
        for project in ["realworld-conduit", "node-express-boilerplate", "hackathon-starter"] {
            result[project] = try DependencyAudit(
                packageJSON: try packageJSON(project), knowledgeBase: knowledgeBase, file: "\(project)/package.json")
        }
        return result
    }

    @Test func classifiesEveryProductionDependencyOfThreeRealApplications() throws {
        let audits = try Self.audits()
        let expected: [String: (count: Int, rust: [Int], swift: [Int])] = [
            "realworld-conduit": (19, [12, 7, 0, 0], [10, 7, 2, 0]),
            "node-express-boilerplate": (25, [19, 6, 0, 0], [14, 8, 3, 0]),
            "hackathon-starter": (57, [30, 21, 6, 0], [19, 19, 19, 0]),
        ]
        for (project, figures) in expected {
            let audit = try #require(audits[project])
            #expect(audit.items.count == figures.count, "\(project)")
            let rust = audit.counts(for: .rust)
            let swift = audit.counts(for: .swift)
            #expect([rust.direct, rust.partial, rust.none, rust.unknown] == figures.rust, "\(project)")
            #expect([swift.direct, swift.partial, swift.none, swift.unknown] == figures.swift, "\(project)")
            // devDependencies are not shipped, so not audited.
            #expect(!audit.items.contains { $0.name == "nodemon" || $0.name == "eslint" }, "\(project)")
        }
    }

    @Test(arguments: pinned)
    func pinsTheVerdict(of entry: (String, Verdict, Verdict, Advice)) throws {
        let audits = try Self.audits()
        let item = try #require(audits.values.lazy.compactMap { $0.items.first { $0.name == entry.0 } }.first)
        let known = try #require(item.known, "\(entry.0) is unknown")
        #expect(known.rust.verdict == entry.1, "\(entry.0) rust")
        #expect(known.swift.verdict == entry.2, "\(entry.0) swift")
        #expect(known.advice == entry.3, "\(entry.0) advice")
    }

    @Test func pinsMoreThanThirtyPackages() {
        #expect(Set(Self.pinned.map(\.0)).count == 43)
    }

    @Test func namesAnUnknownPackageUnknownAndNeverGuesses() throws {
        let manifest = #"{"name": "app", "dependencies": {"express": "^4", "left-pad-enterprise": "1.0.0"}}"#
        let audit = try DependencyAudit(packageJSON: Array(manifest.utf8), knowledgeBase: knowledgeBase)
        #expect(audit.items.map(\.name) == ["express", "left-pad-enterprise"])
        #expect(audit.items[1].known == nil)
        #expect(audit.counts(for: .rust).unknown == 1)
        #expect(
            audit.plainText().contains("left-pad-enterprise 1.0.0: unknown (not in the knowledge base; map it by hand)")
        )
        let json = audit.json
        #expect(json["dependencies"]?[1]?["known"] == .bool(false))
        #expect(json["dependencies"]?[1]?["rust"] == nil)
        #expect(
            audit.markdown().contains(
                "| `left-pad-enterprise` | 1.0.0 | **unknown** | | unknown | | unknown | map it by hand |"))
    }

    @Test func readsResolvedVersionsFromLockFilesOneAndThree() throws {
        let manifest = #"{"name": "app", "dependencies": {"express": "^4.17.0", "twilio": "^3"}}"#
        let lockV3 = #"""
            {"lockfileVersion": 3, "packages": {"": {}, "node_modules/express": {"version": "4.21.2"},
             "node_modules/twilio": {"version": "3.84.1"}, "node_modules/a/node_modules/express": {"version": "3.0.0"}}}
            """#
        let v3 = try DependencyAudit(
            packageJSON: Array(manifest.utf8), lock: Array(lockV3.utf8), knowledgeBase: knowledgeBase)
        #expect(v3.lockVersion == 3)
        #expect(v3.items.map(\.resolved) == ["4.21.2", "3.84.1"])
        let lockV1 = #"{"lockfileVersion": 1, "dependencies": {"express": {"version": "4.17.1"}}}"#
        let v1 = try DependencyAudit(
            packageJSON: Array(manifest.utf8), lock: Array(lockV1.utf8), knowledgeBase: knowledgeBase)
        #expect(v1.items.map(\.resolved) == ["4.17.1", nil])
        #expect(v1.plainText().contains("express ^4.17.0 → 4.17.1 [framework]"))
        #expect(v1.gaps(for: .rust).map(\.name) == ["twilio"])
    }

    @Test func reportsAManifestThatIsNotJSON() {
        do {
            _ = try DependencyAudit(packageJSON: Array("{".utf8), knowledgeBase: knowledgeBase, file: "p.json")
            Issue.record("accepted broken JSON")
        } catch {
            #expect(error.description.hasPrefix("p.json: not JSON: "))
        }
    }
}
