//! Words an [`Error`] for people, once: the one place a refusal, a stale plan or a failure is
//! phrased. Diagnostics of invalid manifests render in [`super::diagnostic`].

use std::fmt::Write as _;

use crate::error::{Error, Refused};
use crate::plan::saved::Staleness;

/// The message for `err`, without the leading `error: ` (the console adds it). May span lines.
pub fn message(err: &Error) -> String {
    match err {
        Error::Refused(refused) => refused_message(refused),
        other => other.to_string(),
    }
}

fn refused_message(refused: &Refused) -> String {
    match refused {
        Refused::Plan { conflicts, rule } => super::plan::text::refusal(conflicts, rule.as_ref()),
        Refused::Stale {
            plan_file,
            reasons,
            replan,
        } => {
            let file = super::escape_controls(&plan_file.to_string_lossy()).into_owned();
            let applied = !reasons.is_empty() && reasons.iter().all(Staleness::is_already_applied);
            let mut out = if applied {
                format!("Saved plan `{file}` was applied already; nothing was changed:\n")
            } else {
                format!("Saved plan `{file}` is stale; nothing was changed:\n")
            };
            for reason in reasons {
                let _ = writeln!(out, "  - {reason}");
            }
            // A plan for another owner or place needs a flag, which its reason names; anything
            // else needs a new plan.
            let flag_will_do = reasons
                .iter()
                .all(|r| matches!(r, Staleness::Owner(_) | Staleness::Local { .. }));
            if applied {
                let _ = write!(
                    out,
                    "Plan again (`{}`) to see whether anything is left to do.",
                    super::escape_controls(replan)
                );
            } else if !flag_will_do {
                let _ = write!(
                    out,
                    "Plan again (`{}`), review the new plan, and apply that.",
                    super::escape_controls(replan)
                );
            }
            out.trim_end().to_owned()
        }
    }
}
