/// The Wilson score interval of a binomial proportion: the guard's confidence bounds on a rate.
///
/// The guard asks one question many times a second: is the candidate's failure (or difference,
/// or slow-answer) rate above a threshold, with confidence? The Wilson interval answers it from
/// two counts in constant time, stays inside 0...1, and keeps its coverage at the small rates
/// (0–5%) and small samples (a few hundred) a canary lives on, where the normal approximation
/// (`p ± z·√(p(1−p)/n)`) collapses to a zero-width interval at zero failures and trips on noise.
/// A sequential probability ratio test would decide sooner on average, but it needs the
/// alternative rate fixed in advance and its state resets on each decision; a bound over a
/// sliding window reads the same as the evidence a person looks at ("at least 3.1% of the last
/// 412 requests failed").
public enum WilsonInterval {
    /// The lower bound of the rate `successes / trials` at the normal quantile `z`.
    ///
    /// - Parameters:
    ///   - successes: how many trials had the property (failed, differed, were slow).
    ///   - trials: how many trials were seen; 0 gives 0.
    ///   - z: the normal quantile of the one-sided confidence (see ``z(confidence:)``).
    public static func lowerBound(successes: Int, trials: Int, z: Double) -> Double {
        bounds(successes: successes, trials: trials, z: z).lower
    }

    /// The upper bound of the rate `successes / trials` at the normal quantile `z`; 1 for no trials.
    public static func upperBound(successes: Int, trials: Int, z: Double) -> Double {
        bounds(successes: successes, trials: trials, z: z).upper
    }

    /// Both bounds of the Wilson score interval.
    public static func bounds(successes: Int, trials: Int, z: Double) -> (lower: Double, upper: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials)
        let p = Double(min(max(successes, 0), trials)) / n
        let z2 = z * z
        let centre = p + z2 / (2 * n)
        let spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        let denominator = 1 + z2 / n
        return (max(0, (centre - spread) / denominator), min(1, (centre + spread) / denominator))
    }

    /// The standard normal quantile of a one-sided confidence level: 0.95 → 1.645, 0.999 → 3.090.
    ///
    /// Acklam's rational approximation (relative error below 1.2e-9 over the open unit interval).
    /// - Parameter confidence: a probability strictly between 0 and 1.
    public static func z(confidence: Double) -> Double {
        let p = min(max(confidence, 1e-12), 1 - 1e-12)
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * naturalLog(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * naturalLog(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}

/// The natural logarithm of a positive finite number, without importing a C library (BanyanCore
/// imports nothing): `x = m·2^e` with `m` in 1..<2, and `ln m = 2·atanh((m−1)/(m+1))` as a series
/// whose ratio is at most 1/9 per term.
func naturalLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "naturalLog needs a positive finite number")
    let m = x.significand
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var term = s
    var sum = 0.0
    var k = 1.0
    while abs(term / k) > 1e-17 {
        sum += term / k
        term *= s2
        k += 2
    }
    return 2 * sum + Double(x.exponent) * 0.693_147_180_559_945_3
}
