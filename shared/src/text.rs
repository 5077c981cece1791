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
    #[error("{what} contains a NUL character, which no text may hold")]
    Nul { what: &'static str },
}

/// A refusal people read in either of the product's languages: `Display` says it
/// in English, `zh` in Chinese. Errors that reach a form implement it, so the
/// server can answer both and no English sentence lands on a Chinese screen.
pub trait Bilingual: fmt::Display {
    fn zh(&self) -> String;
}

/// A sentence in both languages, for refusals that are not one of the typed errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct Said {
    pub en: String,
    pub zh: String,
}

impl Said {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Said {
        Said {
            en: en.into(),
            zh: zh.into(),
        }
    }
    /// A typed refusal as a sentence pair.
    pub fn from(e: &impl Bilingual) -> Said {
        Said::new(e.to_string(), e.zh())
    }
}

impl Bilingual for Said {
    fn zh(&self) -> String {
        self.zh.clone()
    }
}

/// What people call a validated field in Chinese.
fn field_zh(what: &str) -> &'static str {
    match what {
        "title" => "标题",
        "description" => "描述",
        "note" | "comment" => "说明",
        "location" => "位置",
        "contact" => "联系人",
        "site name" => "项目名称",
        "site code" | "site" => "项目编码",
        "user name" => "用户名",
        "point code" | "point" => "点位码",
        "item" => "检查项编码",
        "schedule code" => "计划编码",
        "schedule name" => "计划名称",
        "patrol name" => "巡查名称",
        "patrol code" | "spot check code" | "code" => "编码",
        _ => "",
    }
}

impl Bilingual for TextError {
    /// The same in Chinese, naming the field where it has a Chinese name.
    fn zh(&self) -> String {
        match self {
            TextError::Empty { what } => format!("{}不能为空：请填写", field_zh(what)),
            TextError::TooLong { what, len, max } => {
                format!("{}太长（{len} 个字符，最多 {max} 个）", field_zh(what))
            }
            TextError::Nul { what } => format!("{}含有空字符（NUL），不能保存", field_zh(what)),
            TextError::BadChar { what, input } => {
                format!(
                    "{}“{input}”只能包含英文字母、数字、-、_ 和 .",
                    field_zh(what)
                )
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
    if s.contains('\0') {
        return Err(TextError::Nul { what });
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
