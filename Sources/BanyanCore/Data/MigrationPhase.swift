/// Where one table is in its move from the legacy store to the new one.
///
/// `LegacyOnly → DualWrite → Backfilling → NewPrimary → NewOnly`, one step at a time and forward
/// only; moving to `NewPrimary` needs a clean reconcile that is recent enough (``PhaseRules``).
/// `banyan data phase` records each step in the state database, and the dashboard shows the phase
/// of a route's table. The raw value is the name reports and the state database use.
///
/// Cases are ordered as the migration takes them, so `phase >= .newPrimary` reads "the new store
/// is the source of truth".
public enum MigrationPhase: String, Sendable, CaseIterable, Comparable {
    /// Only the legacy store exists for this table: the service reads and writes it alone. Every
    /// table starts here.
    case legacyOnly = "LegacyOnly"
    /// The legacy service writes the legacy store first, then the new one, best-effort; reads still
    /// come from legacy. From now on new rows reach both stores.
    case dualWrite = "DualWrite"
    /// The historical rows are being copied by `banyan data backfill` while dual-write goes on;
    /// reads still come from legacy.
    case backfilling = "Backfilling"
    /// The new store is the source of truth for reads; legacy is still written, so a rollback loses
    /// nothing. Reached only through a clean, full, recent reconcile.
    case newPrimary = "NewPrimary"
    /// Only the new store is read and written; the end of the migration and of the rollback path.
    case newOnly = "NewOnly"

    /// Reads a phase name in any case, with or without separators (`NewPrimary`, `new-primary`,
    /// `newprimary`), as `--to` accepts it.
    ///
    /// - Parameter name: The phase name as a user typed it.
    /// - Returns: Nil when the name, letters only and lower-cased, is no phase's.
    public init?(name: String) {
        let folded = name.lowercased().filter { $0.isLetter }
        guard let phase = MigrationPhase.allCases.first(where: { $0.rawValue.lowercased() == folded }) else {
            return nil
        }
        self = phase
    }

    /// Whether `lhs` comes earlier in the migration than `rhs`.
    public static func < (lhs: MigrationPhase, rhs: MigrationPhase) -> Bool { lhs.index < rhs.index }

    var index: Int { MigrationPhase.allCases.firstIndex(of: self)! }

    /// The one phase a table may move to from this one; nil for `NewOnly`, the last.
    public var next: MigrationPhase? {
        index + 1 < MigrationPhase.allCases.count ? MigrationPhase.allCases[index + 1] : nil
    }

    /// Whether writes go to the legacy store: in every phase except `NewOnly`, which keeps the
    /// rollback path open until the very end.
    public var writesLegacy: Bool { self != .newOnly }
    /// Whether writes go to the new store: from `DualWrite` on.
    public var writesNew: Bool { self != .legacyOnly }
    /// Whether reads come from the new store, the source of truth from `NewPrimary` on; legacy is
    /// read before that.
    public var readsNew: Bool { self >= .newPrimary }
}

/// One recorded phase change of a table: a row of `banyan_phase_history`, and what
/// `banyan data phase --to` reports when it moves a table.
public struct PhaseTransition: Sendable, Equatable {
    /// The legacy table whose phase changed.
    public var table: String
    /// The phase the table left.
    public var from: MigrationPhase
    /// The phase the table entered, always `from`'s ``MigrationPhase/next``.
    public var to: MigrationPhase
    /// When the change was made, in milliseconds since 1970-01-01T00:00:00Z.
    public var at: Int64
    /// Why, in the user's words (`--reason`); by default the command that made the change.
    public var reason: String

    /// Creates a transition record.
    ///
    /// - Parameters:
    ///   - table: The table whose phase changed.
    ///   - from: The phase it left.
    ///   - to: The phase it entered.
    ///   - at: When, in milliseconds since the epoch.
    ///   - reason: Why.
    public init(table: String, from: MigrationPhase, to: MigrationPhase, at: Int64, reason: String) {
        self.table = table
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }
}

/// The last reconcile of a table, as the gate sees it: the summary of a ``ReconcileReport`` that
/// `banyan data reconcile` records in the state database.
public struct ReconcileRecord: Sendable, Equatable {
    /// The legacy table that was reconciled.
    public var table: String
    /// When the reconcile was recorded, in milliseconds since 1970-01-01T00:00:00Z; the gate
    /// refuses a record older than its maximum age.
    public var at: Int64
    /// Whether nothing differed outside the allow list (``ReconcileReport/isClean``).
    public var clean: Bool
    /// How many legacy rows were examined.
    public var checked: Int
    /// How many rows differed outside the allow list.
    public var drift: Int
    /// True when only recent rows were checked (`--since`): such a run cannot open the gate.
    public var partial: Bool

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - table: The table that was reconciled.
    ///   - at: When, in milliseconds since the epoch.
    ///   - clean: Whether nothing differed outside the allow list.
    ///   - checked: How many legacy rows were examined.
    ///   - drift: How many rows differed outside the allow list.
    ///   - partial: Whether only recent rows were checked.
    public init(table: String, at: Int64, clean: Bool, checked: Int, drift: Int, partial: Bool) {
        self.table = table
        self.at = at
        self.clean = clean
        self.checked = checked
        self.drift = drift
        self.partial = partial
    }
}

/// Why a phase change was refused, in a sentence that names the table and says what to do
/// (`users: the last reconcile found 2 differing row(s); repair them and reconcile again`).
public struct PhaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sentence a user sees, starting with the table's name.
    public let message: String
    /// The message.
    public var description: String { message }
}

/// The phase rules as a pure function: given the current phase, the wanted one, the last
/// reconcile and the time, allow the step or say why not.
///
/// `PhaseStore.move` (in BanyanData) asks it before it writes anything, so the rules can be tested
/// without a database.
public enum PhaseRules {
    /// Whether a table may move from one phase to another.
    ///
    /// A step is allowed when it goes forward, exactly one phase, and, for `NewPrimary`, when the
    /// last reconcile was full (not `--since`), clean and no older than `maxAgeMilliseconds`.
    ///
    /// - Parameters:
    ///   - table: The table, for the message.
    ///   - from: The table's current phase.
    ///   - to: The phase asked for.
    ///   - lastReconcile: The table's last recorded reconcile, or nil when none is recorded.
    ///   - now: The current time, in milliseconds since the epoch.
    ///   - maxAgeMilliseconds: How old the last reconcile may be for the `NewPrimary` gate
    ///     (`--max-age`, one hour by default).
    /// - Returns: Nil when the step is allowed; otherwise the reason it is refused: the table is
    ///   already there, the step goes backwards, skips a phase or leaves `NewOnly`, or the gate finds
    ///   no reconcile, a partial one, drift, or a reconcile that is too old.
    public static func check(
        table: String, from: MigrationPhase, to: MigrationPhase, lastReconcile: ReconcileRecord?, now: Int64,
        maxAgeMilliseconds: Int64
    ) -> PhaseError? {
        if to == from { return PhaseError(message: "\(table) is already in \(to.rawValue)") }
        if to < from {
            return PhaseError(
                message: "\(table): phases only move forward (\(from.rawValue) → \(to.rawValue) is backwards); "
                    + "roll back reads with the proxy instead, the legacy store is still written until NewOnly")
        }
        guard let next = from.next else { return PhaseError(message: "\(table) is in NewOnly, the last phase") }
        if to != next {
            return PhaseError(
                message: "\(table): phases move one step at a time; the next after \(from.rawValue) is \(next.rawValue)"
            )
        }
        if to == .newPrimary {
            guard let record = lastReconcile else {
                return PhaseError(
                    message: "\(table): moving to NewPrimary needs a clean reconcile; none is recorded "
                        + "(run banyan data reconcile)")
            }
            if record.partial {
                return PhaseError(
                    message: "\(table): the last reconcile checked only recent rows (--since); "
                        + "the gate needs a full one")
            }
            if !record.clean {
                return PhaseError(
                    message: "\(table): the last reconcile found \(record.drift) differing row(s); "
                        + "repair them and reconcile again")
            }
            let age = now - record.at
            if age > maxAgeMilliseconds {
                return PhaseError(
                    message: "\(table): the last clean reconcile is \(age / 1000) s old, more than the "
                        + "\(maxAgeMilliseconds / 1000) s allowed (--max-age); reconcile again")
            }
        }
        return nil
    }
}
