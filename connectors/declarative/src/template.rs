//! Values with references: `${VAR}` (the environment) and `{params.NAME}`
//! (the spec's parameters).
//!
//! A template is parsed when its definition loads, so that a malformed
//! reference is an error then; it is filled in when a spec uses the board.
//! Every value taken from the environment is remembered as a secret, so
//! that the source can keep it out of its messages.

use std::collections::BTreeMap;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Env {
        name: String,
        default: Option<String>,
    },
    Param(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What filling in a template needs, and what it gathers.
pub struct Fill<'a> {
    /// Looks an environment variable up.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The spec's parameters, as text.
    pub params: &'a BTreeMap<String, String>,
    /// Values taken from the environment (secrets), gathered.
    pub secrets: &'a mut Vec<String>,
}

/// Why a template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// An environment variable without a default is not set.
    Env(String),
}

impl Template {
    /// Parses `text`.
    ///
    /// # Errors
    /// A sentence naming the malformed reference.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(['$', '{']) {
            literal.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("$${") {
                literal.push_str("${");
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let end = after.find('}').ok_or_else(|| {
                    format!(
                        "`{text}`: `${{` is not closed; write `${{NAME}}` or `$${{` for a literal"
                    )
                })?;
                let inner = &after[..end];
                let (name, default) = match inner.split_once(":-") {
                    Some((n, d)) => (n, Some(d.to_string())),
                    None => (inner, None),
                };
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!(
                        "`{text}`: `${{{inner}}}` is not an environment variable reference; names are letters, digits and `_` (e.g. `${{ACME_API_KEY}}`)"
                    ));
                }
                flush(&mut literal, &mut parts);
                parts.push(Part::Env {
                    name: name.to_string(),
                    default,
                });
                rest = &after[end + 1..];
            } else if let Some(after) = tail.strip_prefix("{params.") {
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("`{text}`: `{{params.` is not closed"))?;
                let name = &after[..end];
                if name.is_empty() {
                    return Err(format!("`{text}`: `{{params.}}` names no parameter"));
                }
                flush(&mut literal, &mut parts);
                parts.push(Part::Param(name.to_string()));
                rest = &after[end + 1..];
            } else {
                literal.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
        literal.push_str(rest);
        flush(&mut literal, &mut parts);
        Ok(Template { parts })
    }

    /// A template of plain text.
    pub fn text(text: &str) -> Template {
        Template {
            parts: vec![Part::Text(text.to_string())],
        }
    }

    /// The environment variables it names, with whether each has a default.
    pub fn env_vars(&self) -> impl Iterator<Item = (&str, bool)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Env { name, default } => Some((name.as_str(), default.is_some())),
            _ => None,
        })
    }

    /// The parameters it names.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Param(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// When the whole template is one `{params.NAME}`: that name (such an
    /// entry is left out when the parameter has no value).
    pub fn sole_param(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Param(name)] => Some(name),
            _ => None,
        }
    }

    /// Whether it is plain text.
    pub fn is_plain(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// Fills the template in. A parameter without a value gives an empty
    /// text.
    ///
    /// # Errors
    /// The first unset variable without a default.
    pub fn fill(&self, fill: &mut Fill<'_>) -> Result<String, Missing> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Param(name) => {
                    if let Some(v) = fill.params.get(name) {
                        out.push_str(v);
                    }
                }
                Part::Env { name, default } => match (fill.env)(name).filter(|v| !v.is_empty()) {
                    Some(v) => {
                        if !fill.secrets.contains(&v) {
                            fill.secrets.push(v.clone());
                        }
                        out.push_str(&v);
                    }
                    None => match default {
                        Some(d) => out.push_str(d),
                        None => return Err(Missing::Env(name.clone())),
                    },
                },
            }
        }
        Ok(out)
    }
}

fn flush(literal: &mut String, parts: &mut Vec<Part>) {
    if !literal.is_empty() {
        parts.push(Part::Text(std::mem::take(literal)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "KEY").then(|| "s3cr3t".to_string())
    }

    #[test]
    fn fills_env_params_defaults_and_escapes() {
        let params = BTreeMap::from([("q".to_string(), "data analyst".to_string())]);
        let mut secrets = Vec::new();
        let t = Template::parse("/api/${KEY}?q={params.q}&x={params.none}&$${lit}&{x}${OPT:-d}")
            .unwrap();
        let mut fill = Fill {
            env: &env,
            params: &params,
            secrets: &mut secrets,
        };
        assert_eq!(
            t.fill(&mut fill).unwrap(),
            "/api/s3cr3t?q=data analyst&x=&${lit}&{x}d"
        );
        assert_eq!(secrets, ["s3cr3t"]);
        let vars: Vec<_> = t.env_vars().collect();
        assert_eq!(vars, [("KEY", false), ("OPT", true)]);
        let missing = Template::parse("${NOPE}").unwrap();
        let mut fill = Fill {
            env: &env,
            params: &params,
            secrets: &mut secrets,
        };
        assert_eq!(
            missing.fill(&mut fill).unwrap_err(),
            Missing::Env("NOPE".into())
        );
        assert_eq!(
            Template::parse("{params.q}").unwrap().sole_param(),
            Some("q")
        );
    }

    #[test]
    fn malformed_references_are_named() {
        assert!(Template::parse("${KEY").unwrap_err().contains("not closed"));
        assert!(Template::parse("${A-B}").unwrap_err().contains("`${A-B}`"));
        assert!(
            Template::parse("{params.q")
                .unwrap_err()
                .contains("not closed")
        );
    }
}
