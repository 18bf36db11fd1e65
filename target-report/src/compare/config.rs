//! The two sides' configurations side by side: each baseline's own `cb-meta.json`
//! (`<bench dir>/<baseline>/cb-meta.json`) — cores, workers, processes, jobs, latency and any
//! setting the suite adds later, plus the machine when the suite records it. A difference is a
//! warning, not a refusal: comparing two configurations on purpose is legitimate, but a
//! reader must not take a configuration change for a code change.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::criterion::{load_optional, BenchDir};
use crate::error::{Error, Result};
use crate::meta::META_FILE;

/// Fields of `cb-meta.json` that name the benchmark or are measured, not configured: they
/// differ between benchmarks (or runs) by design.
const NOT_CONFIG: [&str; 9] = [
    "schema",
    "group",
    "function",
    "strategy",
    "kind",
    "workload",
    "parameter",
    "skipped",
    "server_latency_ms",
];

/// One setting on both sides: the distinct values over the benchmarks compared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigRow {
    /// The field, e.g. `workers` or `machine.cpu_model`.
    pub key: String,
    /// Its values on the old side, comma-separated (`—` when no benchmark has it).
    pub old: String,
    /// Its values on the new side.
    pub new: String,
    /// Whether any benchmark has a different value on the two sides.
    pub differs: bool,
}

/// Both sides' configurations.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Configs {
    /// One row per setting, sorted by key.
    pub rows: Vec<ConfigRow>,
    /// One line per difference: the setting, both values and the benchmarks it affects.
    pub differences: Vec<String>,
    /// Baselines of compared benchmarks that have no `cb-meta.json`, with how many.
    pub missing: Vec<String>,
}

/// Reads `<dir>/<baseline>/cb-meta.json` as flat `key → value` text; `Ok(None)` when absent.
pub fn load_flat(dir: &BenchDir, baseline: &str) -> Result<Option<BTreeMap<String, String>>> {
    let path = dir.baseline(baseline).join(META_FILE);
    let Some(value) = load_optional::<Value>(&path)? else {
        return Ok(None);
    };
    let Value::Object(map) = value else {
        return Err(Error::at(&path, "corrupt meta: not a JSON object"));
    };
    match map.get("schema").and_then(Value::as_u64) {
        Some(1) => {}
        other => {
            return Err(Error::at(
                &path,
                format!(
                    "unsupported schema {} (this tool reads 1)",
                    other.map_or("(none)".to_string(), |s| s.to_string())
                ),
            ))
        }
    }
    let mut flat = BTreeMap::new();
    for (k, v) in &map {
        if NOT_CONFIG.contains(&k.as_str()) || k.contains("seed") {
            continue;
        }
        match v {
            Value::Object(inner) => {
                for (ik, iv) in inner {
                    flat.insert(format!("{k}.{ik}"), scalar(iv));
                }
            }
            _ => {
                flat.insert(k.clone(), scalar(v));
            }
        }
    }
    Ok(Some(flat))
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The configurations of baselines `old` and `new` for the benchmarks `compared` (directory,
/// full id), side by side, with every difference.
pub fn side_by_side(compared: &[(&BenchDir, String)], old: &str, new: &str) -> Result<Configs> {
    let mut values: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    // (key, old value, new value) → benchmark ids.
    let mut diffs: BTreeMap<(String, String, String), Vec<&str>> = BTreeMap::new();
    let (mut missing_old, mut missing_new) = (0, 0);
    for (dir, id) in compared {
        let a = load_flat(dir, old)?;
        let b = load_flat(dir, new)?;
        missing_old += usize::from(a.is_none());
        missing_new += usize::from(b.is_none());
        for (k, v) in a.iter().flatten() {
            values.entry(k.clone()).or_default().0.insert(v.clone());
        }
        for (k, v) in b.iter().flatten() {
            values.entry(k.clone()).or_default().1.insert(v.clone());
        }
        if let (Some(a), Some(b)) = (&a, &b) {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (va, vb) = (a.get(k), b.get(k));
                if va != vb {
                    let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "—".into());
                    diffs
                        .entry((k.clone(), show(va), show(vb)))
                        .or_default()
                        .push(id);
                }
            }
        }
    }
    let differing: BTreeSet<&String> = diffs.keys().map(|(k, _, _)| k).collect();
    let rows = values
        .iter()
        .map(|(k, (a, b))| ConfigRow {
            key: k.clone(),
            old: join(a),
            new: join(b),
            differs: differing.contains(k),
        })
        .collect();
    let differences = diffs
        .iter()
        .map(|((k, va, vb), ids)| {
            let shown: Vec<&str> = ids.iter().take(3).copied().collect();
            format!(
                "configuration differs: {k} {va} ({old}) vs {vb} ({new}) in {} benchmarks ({}{})",
                ids.len(),
                shown.join(", "),
                if ids.len() > shown.len() { ", …" } else { "" }
            )
        })
        .collect();
    let mut missing = Vec::new();
    for (name, n) in [(old, missing_old), (new, missing_new)] {
        if n > 0 {
            missing.push(format!(
                "{n} benchmarks have no {name}/{META_FILE}: their configuration in {name} is unknown"
            ));
        }
    }
    Ok(Configs {
        rows,
        differences,
        missing,
    })
}

/// A setting's values on one side, numbers in numeric order (2 before 16), then words; `—`
/// for none.
fn join(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        return "—".to_string();
    }
    let mut v: Vec<&String> = s.iter().collect();
    let num = |x: &str| x.parse::<f64>().ok().filter(|n| n.is_finite());
    v.sort_by(|a, b| match (num(a), num(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
    v.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn bench(root: &std::path::Path, name: &str, metas: &[(&str, &str)]) -> BenchDir {
        let path = root.join(name);
        for (baseline, text) in metas {
            fs::create_dir_all(path.join(baseline)).unwrap();
            fs::write(path.join(baseline).join(META_FILE), text).unwrap();
        }
        BenchDir {
            rel: name.into(),
            path,
        }
    }

    #[test]
    fn differences_are_listed_per_setting_and_identity_fields_ignored() {
        let root = std::env::temp_dir().join(format!("tr-config-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let a =
            r#"{"schema":1,"function":"x","workers":5,"cores":2,"latency_ms":null,"order_seed":1}"#;
        let b = r#"{"schema":1,"function":"y","workers":8,"cores":2,"latency_ms":null,"order_seed":2,
                    "machine":{"cpu_model":"Z"}}"#;
        let d1 = bench(&root, "g_f", &[("old", a), ("new", b)]);
        let d2 = bench(&root, "g_h", &[("old", a)]);
        let c = side_by_side(&[(&d1, "g/f".into()), (&d2, "g/h".into())], "old", "new").unwrap();
        let keys: Vec<&str> = c.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            ["cores", "latency_ms", "machine.cpu_model", "workers"]
        );
        let workers = &c.rows[3];
        assert_eq!((workers.old.as_str(), workers.new.as_str()), ("5", "8"));
        assert!(workers.differs && !c.rows[0].differs);
        assert_eq!(
            c.differences,
            [
                "configuration differs: machine.cpu_model — (old) vs Z (new) in 1 benchmarks (g/f)",
                "configuration differs: workers 5 (old) vs 8 (new) in 1 benchmarks (g/f)"
            ]
        );
        assert_eq!(
            c.missing,
            ["1 benchmarks have no new/cb-meta.json: their configuration in new is unknown"]
        );
        fs::write(d1.path.join("old").join(META_FILE), r#"{"schema":2}"#).unwrap();
        let err = side_by_side(&[(&d1, "g/f".into())], "old", "new").unwrap_err();
        assert!(err.to_string().contains("unsupported schema 2"), "{err}");
        fs::remove_dir_all(&root).unwrap();
    }
}
