//! JSON: the reports' own fields, pretty-printed, for scripts. Times are nanoseconds per
//! iteration, changes and efficiencies are fractions (0.05 = 5%).

use super::Exporter;
use crate::compare::{Comparison, Verdict};
use crate::summary::Summary;

/// The JSON format.
pub struct Json;

/// Pretty-printed JSON with a final newline (also the BMF and github-action-benchmark formats).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain structs of strings and finite numbers cannot fail; a failure would be
    // a programming error, so say so rather than write a broken file.
    let mut s = serde_json::to_string_pretty(value).expect("report structs serialise to JSON");
    s.push('\n');
    s
}

impl Exporter<Summary> for Json {
    fn render(&self, report: &Summary) -> String {
        to_json(report)
    }
}

impl Exporter<Comparison> for Json {
    fn render(&self, report: &Comparison) -> String {
        let mut value = serde_json::to_value(report).expect("report structs serialise to JSON");
        // The counts and the exit status travel with the data, so a script need not recount.
        if let Some(obj) = value.as_object_mut() {
            for v in Verdict::ALL {
                obj.insert(v.as_str().to_string(), report.count(v).into());
            }
            obj.insert("exit_code".to_string(), report.exit_code().into());
        }
        to_json(&value)
    }
}
