//! JavaScript semantics that leak onto the wire: `Number::toString` (what `JSON.stringify` and
//! template literals print), `Number(string)`, `String.prototype.trim`, `Array.prototype.slice`
//! bounds and `JSON.stringify` of parsed values (integer-like keys first).

use serde_json::Value;

/// `String(x)`: shortest round-trip digits, `1` not `1.0`, exponent form only below 1e-6 or
/// from 1e21 on, written `1e+21` / `1e-7`.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-Infinity" } else { "Infinity" }.to_string();
    }
    if x < 0.0 {
        return format!("-{}", format_number(-x));
    }
    let (digits, n) = shortest_digits(x);
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        return digits + &"0".repeat((n - k) as usize);
    }
    if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        return format!("{}.{}", int, frac);
    }
    if -6 < n && n <= 0 {
        return format!("0.{}{}", "0".repeat((-n) as usize), digits);
    }
    let e = n - 1;
    let exponent = if e < 0 { format!("e-{}", -e) } else { format!("e+{}", e) };
    if k == 1 {
        return digits + &exponent;
    }
    format!("{}.{}{}", &digits[..1], &digits[1..], exponent)
}

/// `JSON.stringify` of a number: non-finite values become `null`.
pub fn json_number(x: f64) -> String {
    if x.is_finite() {
        format_number(x)
    } else {
        "null".to_string()
    }
}

/// The shortest round-trip digits of a positive finite double (no leading or trailing zeros)
/// and the decimal point position `n`, so that the value is `0.digits × 10^n`. Rust's `{:e}`
/// prints exactly those digits; only the layout differs from JavaScript's.
fn shortest_digits(x: f64) -> (String, i32) {
    let text = format!("{:e}", x);
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0').to_string();
    (digits, exponent + 1)
}

/// JavaScript's WhiteSpace and LineTerminator code points (what `trim()` and `Number()` strip).
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c as u32,
        0x09 | 0x0A
            | 0x0B
            | 0x0C
            | 0x0D
            | 0x20
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
            | 0xFEFF
    )
}

/// `String.prototype.trim`.
pub fn trim(text: &str) -> &str {
    text.trim_matches(is_js_whitespace)
}

/// `Number(text)` for a string (ECMAScript StringToNumber).
pub fn parse_number(text: &str) -> f64 {
    let trimmed = trim(text);
    if trimmed.is_empty() {
        return 0.0;
    }
    let bytes = trimmed.as_bytes();
    if bytes.len() > 2 && bytes[0] == b'0' {
        let radix = match bytes[1] {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            let mut value = 0.0;
            for c in trimmed[2..].chars() {
                match c.to_digit(radix) {
                    Some(d) => value = value * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return value;
        }
    }
    let (sign, body) = match trimmed.as_bytes()[0] {
        b'-' => (-1.0, &trimmed[1..]),
        b'+' => (1.0, &trimmed[1..]),
        _ => (1.0, trimmed),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(body) {
        return f64::NAN;
    }
    let normalised = if body.starts_with('.') { format!("0{}", body) } else { body.to_string() };
    match normalised.parse::<f64>() {
        Ok(value) => sign * value,
        Err(_) => f64::NAN,
    }
}

/// StrUnsignedDecimalLiteral: digits [. digits] [e[+-]digits], or . digits [exponent].
fn is_decimal_literal(s: &str) -> bool {
    let c = s.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < c.len() && c[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < c.len() && c[i] == b'.' {
        i += 1;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < c.len() && (c[i] == b'e' || c[i] == b'E') {
        i += 1;
        if i < c.len() && (c[i] == b'+' || c[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == c.len()
}

/// `Number.isInteger`.
pub fn is_integer(x: f64) -> bool {
    x.is_finite() && x.trunc() == x
}

/// `Array.prototype.slice(0, end)` bounds: ToIntegerOrInfinity, then clamping to `0..=count`.
pub fn slice_end(end: f64, count: usize) -> usize {
    if end.is_nan() {
        return 0;
    }
    let integer = end.trunc();
    let count_f = count as f64;
    if integer < 0.0 {
        return (count_f + integer).max(0.0) as usize;
    }
    integer.min(count_f) as usize
}

/// `JSON.stringify(value)` for a value that `JSON.parse` (or a response struct) produced.
pub fn stringify(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&json_number(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => quote(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Own property order: array-index keys ascending, then the rest in insertion order.
            let mut indices: Vec<(u32, &String, &Value)> =
                map.iter().filter_map(|(k, v)| array_index(k).map(|i| (i, k, v))).collect();
            indices.sort_by_key(|entry| entry.0);
            let others = map.iter().filter(|(k, _)| array_index(k).is_none());
            let ordered = indices.into_iter().map(|(_, k, v)| (k, v)).chain(others);
            out.push('{');
            for (i, (key, item)) in ordered.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// A canonical array index (`"0"`, `"17"`, not `"01"`), below 2^32 - 1.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

/// `JSON.stringify` of a string.
pub fn quote(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_like_javascript() {
        let cases: [(f64, &str); 16] = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (3600.0, "3600"),
            (-42.0, "-42"),
            (0.1 + 0.2, "0.30000000000000004"),
            (190.0666667166459, "190.0666667166459"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5e300, "1.5e+300"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (0.000001, "0.000001"),
            (9007199254740993.0, "9007199254740992"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(format_number(value), expected, "{:?}", value);
        }
        assert_eq!(json_number(f64::INFINITY), "null");
    }

    #[test]
    fn parses_numbers_like_javascript() {
        assert_eq!(parse_number("42"), 42.0);
        assert_eq!(parse_number(" 6\n"), 6.0);
        assert_eq!(parse_number(""), 0.0);
        assert_eq!(parse_number("1e1"), 10.0);
        assert_eq!(parse_number("0x1F"), 31.0);
        assert_eq!(parse_number(".5"), 0.5);
        assert_eq!(parse_number("5."), 5.0);
        assert_eq!(parse_number("-2"), -2.0);
        assert_eq!(parse_number("-Infinity"), f64::NEG_INFINITY);
        assert!(parse_number("abc").is_nan());
        assert!(parse_number("1_000").is_nan());
        assert!(parse_number("-0x1").is_nan());
        assert!(parse_number("inf").is_nan());
        assert!(parse_number("1e").is_nan());
    }

    #[test]
    fn slices_like_javascript() {
        assert_eq!(slice_end(10.0, 12), 10);
        assert_eq!(slice_end(2.9, 12), 2);
        assert_eq!(slice_end(-2.0, 12), 10);
        assert_eq!(slice_end(-20.0, 12), 0);
        assert_eq!(slice_end(f64::NAN, 12), 0);
        assert_eq!(slice_end(f64::INFINITY, 12), 12);
    }

    #[test]
    fn stringifies_parsed_json_like_javascript() {
        let value: Value = serde_json::from_str(r#"{"b":1.0,"2":"x","a":[1.5e300,"\u0001é\n"],"1":null,"b":2}"#).unwrap();
        assert_eq!(stringify(&value), r#"{"1":null,"2":"x","b":2,"a":[1.5e+300,"\u0001é\n"]}"#);
        assert_eq!(trim("\u{feff} a b\u{3000}"), "a b");
    }
}
