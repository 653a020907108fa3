//! [`Tracker`] as the runner's [`ChangeTracker`]: how `jobharvest run`
//! drives the state without the core knowing SQLite.

use chrono::{DateTime, TimeDelta, Utc};
use jobharvest_core::tracking::{ChangeCounts, ChangeSummary, ChangeTracker};
use jobharvest_core::{JobRecord, Mode, Result};

use crate::tracker::{OfferKey, Tracker};

impl ChangeTracker for Tracker {
    fn mode(&self) -> Mode {
        Tracker::mode(self)
    }

    fn since(&self, source_name: &str, lookback: TimeDelta) -> Result<Option<DateTime<Utc>>> {
        Ok(self.cursor(source_name)?.and_then(|c| c.since(lookback)))
    }

    fn classify(&mut self, source_name: &str, records: &mut Vec<JobRecord>) -> Result<u64> {
        Tracker::classify(self, source_name, records).map(|c| c.dropped)
    }

    fn unseen(&mut self, source_name: &str) -> Result<Vec<(String, String)>> {
        Ok(Tracker::unseen(self, source_name)?
            .into_iter()
            .map(|k| (k.source, k.source_id))
            .collect())
    }

    fn mark_removed(
        &mut self,
        source: &str,
        source_id: &str,
        at: DateTime<Utc>,
    ) -> Result<JobRecord> {
        let key = OfferKey {
            source: source.to_string(),
            source_id: source_id.to_string(),
        };
        Tracker::mark_removed(self, &key, at)
    }

    fn commit(self: Box<Self>) -> Result<ChangeSummary> {
        let summary = self.commit_run()?;
        Ok(ChangeSummary {
            run_id: summary.run_id,
            sources: summary
                .sources
                .into_iter()
                .map(|c| ChangeCounts {
                    source_name: c.source_name,
                    new: c.new,
                    updated: c.updated,
                    unchanged: c.unchanged,
                    removed: c.removed,
                })
                .collect(),
        })
    }

    fn abort(self: Box<Self>, reason: &str) {
        if let Err(e) = self.abort_run(reason) {
            tracing::warn!(error = %e, "Could not record the failed run in the state; the next run will.");
        }
    }
}
