import BanyanCore
import Testing

@testable import BanyanAudit

struct MigrationPlanTests {
    /// The playbook's ranking example, as measured figures.
    static let measurements = MeasurementSet(
        source: "test",
        routes: [
            RouteMeasurement(
                route: "GET /health", requestsPerSecond: 5, p50Milliseconds: 0.4, p99Milliseconds: 1.2,
                cpuSecondsPerRequest: 0.00008),
            RouteMeasurement(
                route: "GET /users/:id", requestsPerSecond: 200, p50Milliseconds: 12, p99Milliseconds: 40,
                cpuSecondsPerRequest: 0.0004),
            RouteMeasurement(
                route: "GET /feed", requestsPerSecond: 150, p50Milliseconds: 9, p99Milliseconds: 30,
                cpuSecondsPerRequest: 0.006),
            RouteMeasurement(
                route: "POST /reports/render", requestsPerSecond: 8, p50Milliseconds: 150, p99Milliseconds: 180,
                cpuSecondsPerRequest: 0.14),
            RouteMeasurement(
                route: "GET /price/:symbol", requestsPerSecond: 120, p50Milliseconds: 3, p99Milliseconds: 6,
                cpuSecondsPerRequest: 0.0025),
        ])

    static func plan(churn: [String: RouteChurn] = [:]) -> MigrationPlan {
        MigrationPlan(measurements: measurements, routes: ["GET /unmeasured"], churn: churn)
    }

    @Test func ranksHotCPUBoundRoutesFirstAndHoldsBackTheRest() {
        let plan = Self.plan(churn: ["GET /feed": RouteChurn(files: ["routes/feed.js"], commits: 13, days: 90)])
        #expect(
            plan.routes.map(\.route) == [
                "POST /reports/render", "GET /price/:symbol", "GET /feed", "GET /unmeasured", "GET /users/:id",
                "GET /health",
            ])
        #expect(plan.routes.map(\.verdict) == [.migrateNow, .migrateNow, .later, .later, .dont, .dont])
        #expect(plan.routes.map(\.order) == [1, 2, 3, 4, nil, nil])
        #expect(plan.routes.map(\.profile) == [.cpuBound, .cpuBound, .cpuBound, .unknown, .ioBound, .trivial])
        #expect(plan.slices.first?.profile != .trivial)
    }

    @Test func givesAMeasurableGoalForAMigrateNowRoute() throws {
        let render = try #require(Self.plan().routes.first)
        #expect(
            render.reason
                == "CPU-bound: 93% of its 150 ms median is CPU (140 ms per request, 8 requests/s), which a rewrite cuts"
        )
        // p99 180 ms with 93% CPU: 180 × 0.067 + 180 × 0.933 / 4 = 54 ms.
        #expect(
            render.goal
                == "cut p99 of POST /reports/render from 180 ms to under 54 ms and CPU per request from 140 ms "
                + "to under 35 ms")
    }

    @Test func marksIOBoundTrivialAndChurningRoutesWithTheReason() throws {
        let plan = Self.plan(churn: ["GET /feed": RouteChurn(files: ["routes/feed.js"], commits: 13, days: 90)])
        let users = try #require(plan.routes.first { $0.route == "GET /users/:id" })
        #expect(
            users.reason
                == "I/O-bound: 3% of its 12 ms median is CPU (0.4 ms per request); the rest is waiting "
                + "(database, network), which a rewrite does not shorten")
        let health = try #require(plan.routes.first { $0.route == "GET /health" })
        #expect(
            health.reason
                == "trivial: 0.08 ms CPU per request and a p99 of 1.2 ms; no measurable win, and never a first slice")
        let feed = try #require(plan.routes.first { $0.route == "GET /feed" })
        #expect(
            feed.reason
                == "contract still churning: 13 commits to its handler files in 90 days (CPU-bound otherwise: "
                + "6 ms CPU per request)")
        #expect(feed.goal == "migrate once fewer than 6 commits land in 90 days")
    }

    @Test func holdsBackARouteWhoseHandlersNeedADependencyWithNoEquivalent() throws {
        let manifest = #"{"dependencies": {"twilio": "^4", "express": "^4"}}"#
        let knowledge = try KnowledgeBase.load()
        let audit = try DependencyAudit(packageJSON: Array(manifest.utf8), knowledgeBase: knowledge)
        let plan = MigrationPlan(
            measurements: Self.measurements,
            handlerDependencies: ["GET /price/:symbol": ["express", "twilio"]], audit: audit)
        let price = try #require(plan.routes.first { $0.route == "GET /price/:symbol" })
        #expect(price.verdict == .later)
        #expect(price.blockingDependencies == ["twilio"])
        #expect(plan.dependencyGaps == ["twilio"])
    }

    @Test func leavesTimeSpentWaitingForACPUOutOfTheShare() throws {
        // On a busy machine the price route took 10 ms, 6 of them waiting for a CPU: 3 of its own 4 ms are CPU.
        let busy = RouteMeasurement(
            route: "GET /price/:symbol", p50Milliseconds: 10, p99Milliseconds: 20, cpuSecondsPerRequest: 0.003,
            cpuWaitSecondsPerRequest: 0.006)
        #expect(busy.cpuShare == 0.75)
        let plan = MigrationPlan(measurements: MeasurementSet(routes: [busy]))
        let price = try #require(plan.routes.first)
        #expect(price.verdict == .migrateNow)
        #expect(
            price.reason
                == "CPU-bound: 75% of its 10 ms median is CPU (3 ms per request), not counting 6 ms waiting for a CPU, "
                + "which a rewrite cuts")
    }

    @Test func whenOnlyTrivialRoutesRemainNoneIsAFirstSlice() {
        let set = MeasurementSet(routes: [
            RouteMeasurement(
                route: "GET /health", p50Milliseconds: 0.3, p99Milliseconds: 1, cpuSecondsPerRequest: 0.0001)
        ])
        let plan = MigrationPlan(measurements: set)
        #expect(plan.slices.isEmpty)
        #expect(plan.plainText().contains("\nno route is worth migrating first on these figures\n"))
    }

    @Test func readsAndWritesTheMeasurementsFormat() throws {
        let text = #"""
            {"source": "banyan bench", "routes": [
              {"route": "GET /price/:symbol", "requests_per_second": 120, "p50_ms": 3.1, "p99_ms": 6.4,
               "cpu_seconds_per_request": 0.0026, "samples": 200},
              {"route": "GET /health", "p50_ms": 0.4, "p99_ms": 1.1}]}
            """#
        let set = try MeasurementSet(json: Array(text.utf8), file: "m.json")
        #expect(set.source == "banyan bench")
        #expect(
            set.routes == [
                RouteMeasurement(
                    route: "GET /price/:symbol", requestsPerSecond: 120, p50Milliseconds: 3.1, p99Milliseconds: 6.4,
                    cpuSecondsPerRequest: 0.0026, samples: 200),
                RouteMeasurement(route: "GET /health", p50Milliseconds: 0.4, p99Milliseconds: 1.1),
            ])
        let again = try MeasurementSet(json: set.json.serialized(), file: "again.json")
        #expect(again == set)
        do {
            _ = try MeasurementSet(json: Array(#"{"routes": [{"route": "GET /a", "p50_ms": 1}]}"#.utf8), file: "m.json")
            Issue.record("accepted a route without p99_ms")
        } catch {
            #expect(error.description == "m.json: routes[0].p99_ms is missing (GET /a)")
        }
    }

    @Test func rendersJSONAndMarkdown() throws {
        let plan = Self.plan()
        let json = plan.json
        #expect(
            json["order"]
                == ["POST /reports/render", "GET /feed", "GET /price/:symbol", "GET /unmeasured"])
        #expect(json["routes"]?[0]?["verdict"] == "migrate_now")
        #expect(json["routes"]?[4]?["verdict"] == "dont")
        // Without churn, /feed is CPU-bound too, and its traffic makes it the bigger CPU saving.
        #expect(json["routes"]?[1]?["verdict"] == "migrate_now")
        #expect(json["routes"]?[5]?["measurement"]?["route"] == "GET /health")
        #expect(json["routes"]?[3]?["measurement"] == .null)
        let markdown = plan.markdown()
        #expect(markdown.hasPrefix("# Migration plan (rust rewrite)\n"))
        #expect(
            markdown.contains(
                "\n| 1 | `POST /reports/render` | **migrate now** | cpu-bound | 150 ms | 180 ms | 140 ms |"))
    }

    @Test func roundsGoalsUpToTwoDigitsAndPicksPercentilesByNearestRank() {
        #expect(ceilTwoDigits(47.3) == 48)
        #expect(ceilTwoDigits(2.31) == 2.4)
        #expect(ceilTwoDigits(0.611) == 0.62)
        #expect(ceilTwoDigits(130.2) == 140)
        let values = (1...100).map(Double.init)
        #expect(nearestRank(values, 0.5) == 50)
        #expect(nearestRank(values, 0.99) == 99)
        #expect(nearestRank([7], 0.99) == 7)
    }

    @Test func findsThePackagesAHandlerFileUses() {
        let source = """
            const express = require('express');
            const { S3Client } = require("@aws-sdk/client-s3");
            import twilio from 'twilio';
            const helper = require('./helper');
            const fs = require('fs');
            const path = require('node:path');
            const lodashGet = require('lodash/get');
            const later = await import('stripe');
            """
        #expect(requiredPackages(inSource: source) == ["express", "@aws-sdk/client-s3", "twilio", "lodash", "stripe"])
    }
}
