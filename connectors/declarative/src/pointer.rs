//! JSON pointers (RFC 6901) with one addition: a `*` token takes every
//! element of a list (or every value of a map), so `/categories/*/name`
//! reads the names of all categories.

use std::fmt;

use serde_json::Value;

/// A parsed pointer.
#[derive(Clone, PartialEq, Eq)]
pub struct Pointer {
    text: String,
    tokens: Vec<Token>,
}

#[derive(Clone, PartialEq, Eq)]
enum Token {
    /// A map key, or a list index when it is a number.
    Key(String),
    /// Every element.
    All,
}

impl fmt::Debug for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pointer({:?})", self.text)
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Pointer {
    /// Parses `text`: empty (the whole value) or `/`-separated tokens, with
    /// `~1` for `/` and `~0` for `~`.
    ///
    /// # Errors
    /// A sentence saying what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<Pointer, String> {
        if text.is_empty() {
            return Ok(Pointer {
                text: String::new(),
                tokens: Vec::new(),
            });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "`{text}` is not a JSON pointer: it must start with `/` (e.g. `/{text}`), or be \"\" for the whole value"
            ));
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            if raw == "*" {
                tokens.push(Token::All);
                continue;
            }
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => token.push('~'),
                        Some('1') => token.push('/'),
                        _ => {
                            return Err(format!(
                                "`{text}`: `~` must be followed by 0 (for `~`) or 1 (for `/`)"
                            ));
                        }
                    }
                } else {
                    token.push(c);
                }
            }
            tokens.push(Token::Key(token));
        }
        Ok(Pointer {
            text: text.to_string(),
            tokens,
        })
    }

    /// The first token, when it is a key, and the pointer after it:
    /// `/a/b/*` → (`a`, `/b/*`).
    pub fn split_first(&self) -> Option<(&str, Pointer)> {
        let (first, rest) = self.tokens.split_first()?;
        let Token::Key(key) = first else { return None };
        let text = self.text[1..]
            .find('/')
            .map_or(String::new(), |i| self.text[1 + i..].to_string());
        Some((
            key.as_str(),
            Pointer {
                text,
                tokens: rest.to_vec(),
            },
        ))
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it has a `*` token, and so yields a list.
    pub fn is_many(&self) -> bool {
        self.tokens.contains(&Token::All)
    }

    /// The value at the pointer, when it has no `*` token.
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        let mut current = value;
        for token in &self.tokens {
            current = match token {
                Token::Key(key) => step(current, key)?,
                Token::All => return None,
            };
        }
        Some(current)
    }

    /// Every value the pointer reaches, in order (one at most without `*`;
    /// nulls left out).
    pub fn collect<'a>(&self, value: &'a Value, out: &mut Vec<&'a Value>) {
        collect(&self.tokens, value, out);
    }

    /// For a pointer whose only `*` is its last token (`/tags/*`): the
    /// list it reads, borrowed, when that is a list. Lists read this way
    /// need no copy.
    pub fn whole_list<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        let (last, parents) = self.tokens.split_last()?;
        if *last != Token::All || parents.contains(&Token::All) {
            return None;
        }
        let mut current = value;
        for token in parents {
            let Token::Key(key) = token else { return None };
            current = step(current, key)?;
        }
        // Lists of lists are flattened by `collect`: not this way.
        match current {
            Value::Array(items) if !items.iter().any(Value::is_array) => Some(current),
            _ => None,
        }
    }

    /// The value at the pointer, for a `*` pointer the list of every value
    /// it reaches. `None` when there is none.
    pub fn resolve(&self, value: &Value) -> Option<Value> {
        if self.is_many() {
            let mut found = Vec::new();
            self.collect(value, &mut found);
            Some(Value::Array(found.into_iter().cloned().collect()))
        } else {
            self.get(value).filter(|v| !v.is_null()).cloned()
        }
    }

    /// Moves the value at the pointer out of `value` (leaving null), when
    /// it has no `*` token; `None` when there is none.
    pub fn take(&self, value: &mut Value) -> Option<Value> {
        let mut current = value;
        for token in &self.tokens {
            let Token::Key(key) = token else {
                return None;
            };
            current = match current {
                Value::Object(map) => map.get_mut(key)?,
                Value::Array(list) => key.parse::<usize>().ok().and_then(|i| list.get_mut(i))?,
                _ => return None,
            };
        }
        Some(std::mem::take(current)).filter(|v| !v.is_null())
    }

    /// Puts `new` at this pointer in `target`, creating maps on the way.
    /// Returns false when a step is not a map (or the pointer has `*`).
    pub fn set(&self, target: &mut Value, new: Value) -> bool {
        let Some((last, parents)) = self.tokens.split_last() else {
            *target = new;
            return true;
        };
        let mut current = target;
        for token in parents {
            let Token::Key(key) = token else {
                return false;
            };
            let Some(map) = current.as_object_mut() else {
                return false;
            };
            current = map
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        match (last, current.as_object_mut()) {
            (Token::Key(key), Some(map)) => {
                map.insert(key.clone(), new);
                true
            }
            _ => false,
        }
    }
}

fn step<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(key),
        Value::Array(list) => key.parse::<usize>().ok().and_then(|i| list.get(i)),
        _ => None,
    }
}

fn collect<'a>(tokens: &[Token], value: &'a Value, out: &mut Vec<&'a Value>) {
    let Some((first, rest)) = tokens.split_first() else {
        match value {
            Value::Null => {}
            // A `*` pointer that ends on lists flattens them.
            Value::Array(items) => out.extend(items.iter().filter(|v| !v.is_null())),
            v => out.push(v),
        }
        return;
    };
    match first {
        Token::Key(key) => {
            if let Some(next) = step(value, key) {
                collect(rest, next, out);
            }
        }
        Token::All => match value {
            Value::Array(items) => items.iter().for_each(|v| collect(rest, v, out)),
            Value::Object(map) => map.values().for_each(|v| collect(rest, v, out)),
            _ => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_keys_indexes_escapes_and_wildcards() {
        let v = json!({
            "a": {"b/c": 1, "m~n": 2, "list": [10, 20]},
            "coords": [18.05, 59.31],
            "cats": [{"name": "Data"}, {"name": "IT"}, {"other": 1}],
            "tags": [["x", "y"], ["z"]],
        });
        let p = |s| Pointer::parse(s).unwrap();
        assert_eq!(p("/a/b~1c").get(&v), Some(&json!(1)));
        assert_eq!(p("/a/m~0n").get(&v), Some(&json!(2)));
        assert_eq!(p("/coords/1").get(&v), Some(&json!(59.31)));
        assert_eq!(p("/a/list/7").get(&v), None);
        assert_eq!(p("").get(&v), Some(&v));
        assert_eq!(p("/cats/*/name").resolve(&v), Some(json!(["Data", "IT"])));
        assert_eq!(p("/tags/*").resolve(&v), Some(json!(["x", "y", "z"])));
        assert!(p("/cats/*/name").is_many());
    }

    #[test]
    fn bad_pointers_say_how_to_write_them() {
        assert!(Pointer::parse("title").unwrap_err().contains("`/title`"));
        assert!(Pointer::parse("/a~2").unwrap_err().contains("~"));
    }

    #[test]
    fn set_creates_maps_on_the_way() {
        let mut v = json!({"id": 1});
        assert!(Pointer::parse("/_detail/x").unwrap().set(&mut v, json!(2)));
        assert_eq!(v, json!({"id": 1, "_detail": {"x": 2}}));
        assert!(!Pointer::parse("/id/x").unwrap().set(&mut v, json!(3)));
    }
}
