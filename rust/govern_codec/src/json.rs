//! A JSON value as the fixture mapping needs it, parsed by serde_json: numbers kept as their text
//! (exact: integers beyond 64 bits, `-0`), objects as ordered pairs (no hashing per key; a
//! repeated key keeps its last value at its first place, as Python's json does, in linear time).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// serde_json's name for a number under `arbitrary_precision` (how its own Value reads them).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";
/// Objects up to this many keys look repeated keys up by scanning; larger ones by hashing.
const SCAN_KEYS: usize = 16;

/// Strings and numbers borrow from the line where they have no escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum J<'a> {
    Null,
    Bool(bool),
    Num(Cow<'a, str>),
    Str(Cow<'a, str>),
    Arr(Vec<J<'a>>),
    Obj(Vec<(Cow<'a, str>, J<'a>)>),
}

/// A string, borrowed from the input when it can be.
#[derive(PartialEq, Eq, Hash)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'de>, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'a> J<'a> {
    pub fn parse(text: &'a [u8]) -> Result<J<'a>, serde_json::Error> {
        serde_json::from_slice(text)
    }

    pub fn get(&self, key: &str) -> Option<&J<'a>> {
        match self {
            J::Obj(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, J::Null)
    }
}

/// Whether the text of a JSON number (valid JSON) is an integer: no fraction, no exponent.
pub fn is_integer(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

/// The text of a JSON number when it is an integer (no fraction, no exponent).
pub fn integer_text<'a>(v: &'a J<'_>) -> Option<&'a str> {
    match v {
        J::Num(t) if is_integer(t) => Some(t),
        _ => None,
    }
}

/// The deepest nesting of arrays and objects in `text` (strings skipped), stopping past `limit`.
pub fn json_depth(text: &[u8], limit: usize) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > limit {
                        break;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

impl fmt::Display for J<'_> {
    /// Compact JSON text (for error messages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            J::Null => f.write_str("null"),
            J::Bool(b) => write!(f, "{b}"),
            J::Num(n) => f.write_str(n),
            J::Str(s) => write!(f, "{}", serde_json::Value::String(s.to_string())),
            J::Arr(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            J::Obj(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", serde_json::Value::String(k.to_string()))?;
                }
                f.write_str("}")
            }
        }
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<J<'de>, E> {
        Ok(J::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<J<'de>, E> {
        Ok(J::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<J<'de>, E> {
        Ok(J::Num(Cow::Owned(n.to_string())))
    }

    fn visit_u64<E>(self, n: u64) -> Result<J<'de>, E> {
        Ok(J::Num(Cow::Owned(n.to_string())))
    }

    fn visit_f64<E>(self, n: f64) -> Result<J<'de>, E> {
        Ok(J::Num(Cow::Owned(ryu::Buffer::new().format(n).to_string())))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(J::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J<'de>, A::Error> {
        let mut pairs: Vec<(Cow<'de, str>, J<'de>)> = Vec::new();
        let mut index: Option<HashMap<Cow<'de, str>, usize>> = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if pairs.is_empty() && key == NUMBER_TOKEN {
                let Text(text) = map.next_value()?;
                return Ok(J::Num(text));
            }
            let value: J<'de> = map.next_value()?;
            let found = match &index {
                Some(index) => index.get(&key).copied(),
                None => pairs.iter().position(|(k, _)| *k == key),
            };
            match found {
                Some(i) => pairs[i].1 = value,
                None => {
                    if let Some(index) = &mut index {
                        index.insert(key.clone(), pairs.len());
                    }
                    pairs.push((key, value));
                    if index.is_none() && pairs.len() > SCAN_KEYS {
                        index = Some(pairs.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect());
                    }
                }
            }
        }
        Ok(J::Obj(pairs))
    }
}

impl<'de> Deserialize<'de> for J<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<J<'de>, D::Error> {
        deserializer.deserialize_any(JVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::{json_depth, J};

    #[test]
    fn depth_skips_brackets_inside_strings() {
        assert_eq!(json_depth(br#"{"a": "[[[{{", "b": [[1]]}"#, 10), 3);
        assert_eq!(json_depth(br#"["\"[", [["\\"]]]"#, 10), 3);
        assert_eq!(json_depth(b"[[[[[[", 3), 4);
    }

    #[test]
    fn numbers_stay_exact_and_repeated_keys_keep_the_last_value_first() {
        let v = J::parse(br#"{"a": -0, "b": 123456789012345678901234567890, "a": 1.50}"#).unwrap();
        assert_eq!(
            v,
            J::Obj(vec![
                ("a".into(), J::Num("1.50".into())),
                ("b".into(), J::Num("123456789012345678901234567890".into()))
            ])
        );
        let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect::<String>() + "\"k3\":99";
        let text = format!("{{{many}}}");
        let J::Obj(pairs) = J::parse(text.as_bytes()).unwrap() else { panic!() };
        assert_eq!((pairs.len(), &pairs[3].1), (40, &J::Num("99".into())));
    }
}
