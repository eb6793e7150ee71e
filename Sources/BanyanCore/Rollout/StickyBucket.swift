/// Maps a sticky key (a user id, a cookie, a client address) to one of 10,000 buckets.
///
/// A canary at `p` percent sends the buckets below `p × 100` to the candidate. Because the
/// bucket of a key never changes and the threshold only moves, raising a canary from 5% to 25%
/// only adds keys to the candidate, and lowering it only removes them: no key flips twice.
public enum StickyBucket {
    /// The number of buckets: a canary percentage has a resolution of 0.01%.
    public static let count = 10_000

    /// The bucket of `key`, stable across processes, machines and releases (FNV-1a 64 then a
    /// SplitMix64 finaliser, so neighbouring keys such as `user-1`, `user-2` spread evenly).
    public static func bucket(for key: some StringProtocol) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 30
        hash &*= 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 27
        hash &*= 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return Int(hash % UInt64(count))
    }

    /// Whether a key in `bucket` goes to the candidate when the canary is at `percent` (0–100).
    public static func isCandidate(bucket: Int, percent: Double) -> Bool {
        Double(bucket) < percent * Double(count) / 100
    }
}
