//! Avro's zig-zag varints (bounded), and decimals between their text and two's-complement bytes.

/// Append the zig-zag varint of `n`.
pub fn write_long(n: i64, out: &mut Vec<u8>) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z > 0x7f {
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Read a zig-zag varint at `*pos`: at most 10 bytes, the tenth carrying one bit at most.
pub fn read_long(data: &[u8], pos: &mut usize) -> Result<i64, String> {
    let mut z: u64 = 0;
    for i in 0..10 {
        let byte = *data.get(*pos).ok_or("a varint runs past the end")?;
        *pos += 1;
        if i == 9 && byte > 1 {
            return Err("a varint longer than 64 bits".into());
        }
        z |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((z >> 1) as i64 ^ -((z & 1) as i64));
        }
    }
    Err("a varint longer than 10 bytes".into())
}

/// A varint that must fit an Avro int.
pub fn read_int(data: &[u8], pos: &mut usize) -> Result<i64, String> {
    let n = read_long(data, pos)?;
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(format!("{n} is out of range for int"));
    }
    Ok(n)
}

/// The two's-complement big-endian bytes of a decimal given as text ("-12.50", "7", "+.5"), exact:
/// at most `scale` fractional digits (more only when they are zeros), at most `precision` digits.
/// `size`: the fixed size to sign-extend to, or None for the shortest form (bytes).
pub fn decimal_to_bytes(text: &str, precision: u32, scale: u32, size: Option<usize>) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    write_decimal(text, precision, scale, size, &mut bytes)?;
    Ok(bytes)
}

/// `decimal_to_bytes` appended to `out` (nothing appended on an error).
pub fn write_decimal(text: &str, precision: u32, scale: u32, size: Option<usize>, out: &mut Vec<u8>) -> Result<(), String> {
    let refuse = || format!("expected a decimal as a JSON string like \"12.50\", got the string {}", crate::encode::repr(&short(text)));
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(whole) || !digits_only(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err(refuse());
    }
    if whole.is_empty() && !body.contains('.') {
        return Err(refuse());
    }
    let scale = scale as usize;
    let mut fraction = fraction;
    if fraction.len() > scale {
        if fraction[scale..].bytes().any(|b| b != b'0') {
            return Err(format!("decimal {} has more than {scale} fractional digit(s) (scale {scale})", short(text)));
        }
        fraction = &fraction[..scale];
    }
    let padding = scale - fraction.len();
    let significant = |s: &str| s.trim_start_matches('0').len();
    let length = if significant(whole) > 0 { significant(whole) + fraction.len() } else { significant(fraction) };
    let length = if length > 0 { length + padding } else { 0 };
    if length > precision as usize {
        return Err(format!("decimal {} has more than {precision} digit(s) (precision {precision})", short(text)));
    }
    let digits = whole.bytes().chain(fraction.bytes()).map(|b| b - b'0').chain(std::iter::repeat(0).take(padding));
    // the two's-complement big-endian bytes in their shortest form (high bytes that only repeat
    // the sign dropped), and the sign's fill byte
    let small: [u8; 16];
    let large: Vec<u8>;
    let (bytes, fill): (&[u8], u8) = if length <= 38 {
        // the usual case: at most 38 digits fit an i128 with its sign, no byte vector is built
        let n = digits.fold(0i128, |n, d| n * 10 + i128::from(d));
        let n = if negative { -n } else { n };
        small = n.to_be_bytes();
        let fill = if n < 0 { 0xff } else { 0 };
        let first = (0..15).find(|&i| small[i] != fill || (small[i + 1] & 0x80) != (fill & 0x80)).unwrap_or(15);
        (&small[first..], fill)
    } else {
        // longer ones: the magnitude as a little-endian byte vector, multiplied by 10 per digit
        let mut bytes: Vec<u8> = Vec::with_capacity(length / 2 + 2);
        for d in digits {
            let mut carry = u32::from(d);
            for byte in bytes.iter_mut() {
                let x = u32::from(*byte) * 10 + carry;
                *byte = x as u8;
                carry = x >> 8;
            }
            while carry > 0 {
                bytes.push(carry as u8);
                carry >>= 8;
            }
        }
        bytes.push(0); // room for the sign bit
        if negative {
            // two's complement: invert and add one
            let mut carry = 1u16;
            for byte in bytes.iter_mut() {
                let x = u16::from(!*byte) + carry;
                *byte = x as u8;
                carry = x >> 8;
            }
        }
        let fill = if negative { 0xff } else { 0 };
        while bytes.len() > 1 && bytes[bytes.len() - 1] == fill && (bytes[bytes.len() - 2] & 0x80 == fill & 0x80) {
            bytes.pop();
        }
        bytes.reverse();
        large = bytes;
        (&large, fill)
    };
    if let Some(size) = size {
        if bytes.len() > size {
            return Err(format!("decimal {} does not fit in {size} bytes", short(text)));
        }
        out.resize(out.len() + size - bytes.len(), fill);
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// The text of a two's-complement big-endian decimal with `scale` fractional digits; an error
/// when it has more than `precision` digits (what the encoder would refuse).
pub fn bytes_to_decimal(data: &[u8], precision: u32, scale: u32) -> Result<String, String> {
    let negative = data.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude: Vec<u8> = data.to_vec();
    if negative {
        let mut carry = 1u16;
        for byte in magnitude.iter_mut().rev() {
            let x = u16::from(!*byte) + carry;
            *byte = x as u8;
            carry = x >> 8;
        }
    }
    let first = magnitude.iter().position(|b| *b != 0).unwrap_or(magnitude.len());
    let magnitude = &magnitude[first..];
    // A value of `precision` digits needs at most precision*log2(10)/8 + 1 bytes: refuse longer
    // ones before the quadratic conversion.
    if magnitude.len() > (precision as usize * 3322 / 8000) + 2 {
        return Err(format!("decimal of {} bytes has more than {precision} digit(s)", data.len()));
    }
    let mut digits = if magnitude.len() <= 16 {
        // the common case: the magnitude fits 128 bits
        let n = magnitude.iter().fold(0u128, |n, b| n << 8 | u128::from(*b));
        itoa::Buffer::new().format(n).to_string()
    } else {
        // base 10^9 limbs, little-endian, by multiplying by 256 and adding each byte
        let mut limbs: Vec<u32> = Vec::new();
        for byte in magnitude {
            let mut carry = u64::from(*byte);
            for limb in limbs.iter_mut() {
                let x = u64::from(*limb) * 256 + carry;
                *limb = (x % 1_000_000_000) as u32;
                carry = x / 1_000_000_000;
            }
            while carry > 0 {
                limbs.push((carry % 1_000_000_000) as u32);
                carry /= 1_000_000_000;
            }
        }
        let mut digits = String::new();
        for (i, limb) in limbs.iter().rev().enumerate() {
            if i == 0 {
                digits.push_str(&limb.to_string());
            } else {
                digits.push_str(&format!("{limb:09}"));
            }
        }
        digits
    };
    if digits.is_empty() {
        digits.push('0');
    }
    if digits != "0" && digits.len() > precision as usize {
        return Err(format!("decimal with {} digits exceeds precision {precision}", digits.len()));
    }
    let scale = scale as usize;
    let mut text = String::with_capacity(digits.len() + 3);
    if negative && digits != "0" {
        text.push('-');
    }
    if scale == 0 {
        text.push_str(&digits);
    } else {
        if digits.len() <= scale {
            digits = format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits);
        }
        let split = digits.len() - scale;
        text.push_str(&digits[..split]);
        text.push('.');
        text.push_str(&digits[split..]);
    }
    Ok(text)
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_are_bounded() {
        for n in [0i64, -1, 1, 63, -64, 64, i32::MAX as i64, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            write_long(n, &mut out);
            let mut pos = 0;
            assert_eq!(read_long(&out, &mut pos).unwrap(), n);
            assert_eq!(pos, out.len());
        }
        let mut pos = 0;
        assert!(read_long(&[0xff; 2100], &mut pos).is_err());
        let mut pos = 0;
        assert!(read_long(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], &mut pos).is_err());
        let mut pos = 0;
        assert!(read_int(&[0x80, 0x80, 0x80, 0x80, 0x10], &mut pos).is_err());
    }

    #[test]
    fn decimals_round_trip() {
        for (text, scale) in [("12.50", 2), ("-0.0001", 4), ("7", 0), ("-128", 0), ("127", 0), ("-129", 0), ("0.00", 2)] {
            let bytes = decimal_to_bytes(text, 30, scale, None).unwrap();
            assert_eq!(bytes_to_decimal(&bytes, 30, scale).unwrap(), text);
        }
        assert_eq!(decimal_to_bytes("-1", 5, 0, None).unwrap(), vec![0xff]);
        assert_eq!(decimal_to_bytes("128", 5, 0, None).unwrap(), vec![0, 0x80]);
        assert_eq!(decimal_to_bytes("-1", 5, 0, Some(3)).unwrap(), vec![0xff, 0xff, 0xff]);
        assert!(decimal_to_bytes("1.001", 9, 2, None).is_err());
        assert_eq!(decimal_to_bytes("1.000", 9, 2, None).unwrap(), decimal_to_bytes("1", 9, 2, None).unwrap());
        assert!(decimal_to_bytes("123", 2, 0, None).is_err());
        // 38 digits take the u128 path, 39 the byte-vector path: both round trip, either sign
        for text in ["99999999999999999999999999999999999999", "-99999999999999999999999999999999999999",
                     "999999999999999999999999999999999999999", "-100000000000000000000000000000000000000",
                     "340282366920938463463374607431768211455", "-0.000000000000000000000000000000000001"] {
            let scale = text.split_once('.').map_or(0, |(_, f)| f.len() as u32);
            let bytes = decimal_to_bytes(text, 40, scale, None).unwrap();
            assert_eq!(bytes_to_decimal(&bytes, 40, scale).unwrap(), text);
        }
        assert_eq!(decimal_to_bytes("-0.00", 1, 2, None).unwrap(), vec![0]);
        assert!(decimal_to_bytes("0010.5", 2, 1, None).is_err());
        assert_eq!(decimal_to_bytes("0000.5", 1, 1, None).unwrap(), vec![5]);
        let big = "123456789012345678901234567890123456789012345";
        let bytes = decimal_to_bytes(big, 50, 0, None).unwrap();
        assert_eq!(bytes_to_decimal(&bytes, 50, 0).unwrap(), big);
        assert!(bytes_to_decimal(&bytes, 40, 0).is_err());
        assert!(bytes_to_decimal(&[0x7f; 1000], 1000, 0).is_err());
    }
}
