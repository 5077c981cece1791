//! Validated strings: codes (point codes, route codes, user names) and free text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} is too long ({len} characters, at most {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} `{input}` may only contain letters, digits, `-`, `_` and `.`")]
    BadChar { what: &'static str, input: String },
}

impl TextError {
    /// The same in Chinese (the column or field already says what was refused).
    pub fn zh(&self) -> String {
        match self {
            TextError::Empty { .. } => "不能为空".into(),
            TextError::TooLong { len, max, .. } => format!("太长（{len} 个字符，最多 {max} 个）"),
            TextError::BadChar { input, .. } => {
                format!("“{input}”只能包含英文字母、数字、-、_ 和 .")
            }
        }
    }
}

/// A short identifier typed by people and printed on QR labels:
/// site codes, zone codes, point codes, route codes, item codes, user names.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    pub const MAX: usize = 64;

    pub fn parse(what: &'static str, input: &str) -> Result<Self, TextError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(TextError::Empty { what });
        }
        let len = s.chars().count();
        if len > Self::MAX {
            return Err(TextError::TooLong {
                what,
                len,
                max: Self::MAX,
            });
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(TextError::BadChar {
                what,
                input: s.to_string(),
            });
        }
        Ok(Code(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Code {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Code::parse("code", &value)
    }
}
impl From<Code> for String {
    fn from(c: Code) -> String {
        c.0
    }
}
impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Trimmed, non-empty, bounded free text (titles, names).
pub fn required(what: &'static str, input: &str, max: usize) -> Result<String, TextError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(TextError::Empty { what });
    }
    bounded(what, s, max)
}

/// Bounded free text that may be empty (descriptions, notes).
pub fn bounded(what: &'static str, input: &str, max: usize) -> Result<String, TextError> {
    let s = input.trim();
    let len = s.chars().count();
    if len > max {
        return Err(TextError::TooLong { what, len, max });
    }
    Ok(s.to_string())
}

pub const TITLE_MAX: usize = 200;
pub const NOTE_MAX: usize = 4000;
pub const NAME_MAX: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accept_point_codes_and_refuse_spaces_and_empties() {
        assert_eq!(
            Code::parse("point code", " CP-01 ").unwrap().as_str(),
            "CP-01"
        );
        assert!(matches!(
            Code::parse("point code", "CP 01"),
            Err(TextError::BadChar { .. })
        ));
        assert!(matches!(
            Code::parse("point code", "  "),
            Err(TextError::Empty { .. })
        ));
        assert!(serde_json::from_str::<Code>("\"a b\"").is_err());
    }

    #[test]
    fn free_text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(required("title", " 漏水 ", 5).unwrap(), "漏水");
        assert!(required("title", "一二三四五六", 5).is_err());
        assert!(required("title", "", 5).is_err());
        assert_eq!(bounded("note", "", 5).unwrap(), "");
    }
}
