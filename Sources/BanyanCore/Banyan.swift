/// Facts about this build of Banyan.
public enum Banyan {
    /// The version printed by `banyan --version` and written into reports.
    public static let version = "0.1.0"
}
