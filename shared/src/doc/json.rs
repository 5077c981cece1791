//! Maps serde JSON values onto Automerge objects and back.
//!
//! Objects become maps, arrays become lists, strings/numbers/booleans become
//! scalars and `null` becomes an absent key (maps) or a null scalar (lists).

use super::DocError;
use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, ScalarValueRef, ValueRef,
};
use serde_json::{Map, Number, Value as Json};

fn scalar(v: &Json) -> Option<ScalarValue> {
    match v {
        Json::Null => Some(ScalarValue::Null),
        Json::Bool(b) => Some(ScalarValue::Boolean(*b)),
        Json::Number(n) => Some(if let Some(i) = n.as_i64() {
            ScalarValue::Int(i)
        } else if let Some(u) = n.as_u64() {
            ScalarValue::Uint(u)
        } else {
            ScalarValue::F64(n.as_f64().unwrap_or(0.0))
        }),
        Json::String(s) => Some(ScalarValue::Str(s.as_str().into())),
        Json::Array(_) | Json::Object(_) => None,
    }
}

fn fill(doc: &mut AutoCommit, obj: &ObjId, v: &Json) -> Result<(), automerge::AutomergeError> {
    match v {
        Json::Object(map) => {
            for (k, v) in map {
                if !v.is_null() {
                    put(doc, obj, k.as_str(), v)?;
                }
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                insert(doc, obj, i, v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Writes `v` under `key` of the map `obj`, replacing what was there.
pub fn put<P: Into<Prop>>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: P,
    v: &Json,
) -> Result<(), automerge::AutomergeError> {
    match v {
        Json::Object(_) => {
            let child = doc.put_object(obj, key, ObjType::Map)?;
            fill(doc, &child, v)
        }
        Json::Array(_) => {
            let child = doc.put_object(obj, key, ObjType::List)?;
            fill(doc, &child, v)
        }
        other => doc.put(obj, key, scalar(other).expect("scalar")),
    }
}

/// Inserts `v` at `index` of the list `obj`.
pub fn insert(
    doc: &mut AutoCommit,
    obj: &ObjId,
    index: usize,
    v: &Json,
) -> Result<(), automerge::AutomergeError> {
    match v {
        Json::Object(_) => {
            let child = doc.insert_object(obj, index, ObjType::Map)?;
            fill(doc, &child, v)
        }
        Json::Array(_) => {
            let child = doc.insert_object(obj, index, ObjType::List)?;
            fill(doc, &child, v)
        }
        other => doc.insert(obj, index, scalar(other).expect("scalar")),
    }
}

fn from_scalar(s: &ScalarValueRef<'_>) -> Json {
    match s {
        ScalarValueRef::Null => Json::Null,
        ScalarValueRef::Boolean(b) => Json::Bool(*b),
        ScalarValueRef::Int(i) => Json::from(*i),
        ScalarValueRef::Uint(u) => Json::from(*u),
        ScalarValueRef::F64(f) => Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
        ScalarValueRef::Str(s) => Json::String(s.to_string()),
        ScalarValueRef::Counter(c) => Json::from(*c),
        ScalarValueRef::Timestamp(t) => Json::from(*t),
        ScalarValueRef::Bytes(_) | ScalarValueRef::Unknown { .. } => Json::Null,
    }
}

/// One map or list entry as JSON; `id` names the entry's object when it is one.
fn entry(
    doc: &AutoCommit,
    value: &ValueRef<'_>,
    id: impl FnOnce() -> ObjId,
    depth: usize,
) -> Result<Json, DocError> {
    match value {
        ValueRef::Object(_) => read_at(doc, &id(), depth),
        ValueRef::Scalar(s) => Ok(from_scalar(s)),
    }
}

/// Reads a whole object (map, list or text) as JSON, in one pass per object.
///
/// Objects nested deeper than [`crate::limits::DOC_DEPTH`] are refused: a
/// document from a device is untrusted, and an unbounded recursion would let a
/// few hundred nested maps overflow the reader's stack.
pub fn read_obj(doc: &AutoCommit, obj: &ObjId) -> Result<Json, DocError> {
    read_at(doc, obj, 1)
}

fn read_at(doc: &AutoCommit, obj: &ObjId, depth: usize) -> Result<Json, DocError> {
    if depth > crate::limits::DOC_DEPTH {
        return Err(DocError::TooDeep(crate::limits::DOC_DEPTH));
    }
    Ok(match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => {
            let mut out = Map::new();
            for item in doc.map_range(obj, ..) {
                let v = entry(doc, &item.value, || item.id(), depth + 1)?;
                out.insert(item.key.into_owned(), v);
            }
            Json::Object(out)
        }
        ObjType::List => {
            let mut out = Vec::with_capacity(doc.length(obj));
            for item in doc.list_range(obj, ..) {
                out.push(entry(doc, &item.value, || item.id(), depth + 1)?);
            }
            Json::Array(out)
        }
        ObjType::Text => Json::String(doc.text(obj)?),
    })
}

/// Reads every item of the list `obj` as JSON, each with the id of its
/// object (`None` for a scalar item), in list order.
pub fn read_list_items(
    doc: &AutoCommit,
    obj: &ObjId,
) -> Result<Vec<(Option<ObjId>, Json)>, DocError> {
    let mut out = Vec::with_capacity(doc.length(obj));
    for item in doc.list_range(obj, ..) {
        let id = matches!(item.value, ValueRef::Object(_)).then(|| item.id());
        let v = match &id {
            Some(id) => read_at(doc, id, 2)?,
            None => entry(doc, &item.value, || item.id(), 2)?,
        };
        out.push((id, v));
    }
    Ok(out)
}

/// Reads a root key, `None` when absent.
pub fn read_root_key(doc: &AutoCommit, key: &str) -> Result<Option<Json>, DocError> {
    match doc.map_range(ROOT, ..).find(|item| item.key == key) {
        Some(item) => Ok(Some(entry(doc, &item.value, || item.id(), 1)?)),
        None => Ok(None),
    }
}

/// `v` as it reads back after [`put`]: `null` members of objects are dropped.
pub fn without_nulls(v: &Json) -> Json {
    match v {
        Json::Object(map) => Json::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}
