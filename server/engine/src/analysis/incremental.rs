//! A keystroke's analysis from the previous one: only the edited stage, and the
//! stages its id or outputs touch, are checked again.

use std::sync::Arc;

use super::*;

/// A finished analysis and what it was computed from, so that the next one can
/// start from it: a keystroke inside one stage of a 5,000-stage pipeline then
/// re-checks that stage, not all of them (`Snapshot::analyze_since`).
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Sorted as `analyze` sorts them.
    pub findings: Arc<Vec<Finding>>,
    /// Was it made from the previous one (rather than by a full analysis)?
    pub reused: bool,
    basis: Basis,
}

/// Everything but the pipeline that an analysis read, held (not just pointed at)
/// so that a freed model's address can never be mistaken for the same model.
#[derive(Clone, Debug)]
struct Basis {
    pipeline_gen: u64,
    pipeline_path: Option<String>,
    others: Vec<Option<Arc<dyn std::any::Any + Send + Sync>>>,
    fs_epoch: Option<u64>,
    git: Option<GitFacts>,
    overrides: SeverityOverrides,
}

impl Basis {
    fn same_inputs(&self, other: &Basis) -> bool {
        let same_arcs = self.others.len() == other.others.len()
            && self.others.iter().zip(&other.others).all(|(a, b)| match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            });
        same_arcs
            && self.fs_epoch.is_some()
            && self.fs_epoch == other.fs_epoch
            && self.pipeline_path == other.pipeline_path
            && self.git == other.git
            && self.overrides == other.overrides
    }
}

impl Snapshot {
    /// (The changed paths are not part of it: they are read only while a run is
    /// active, and then nothing is reused; whether a run is active is the state's.)
    fn basis(&self, fs: &dyn FsView, git: Option<&GitFacts>, o: &SeverityOverrides) -> Basis {
        fn held<T: Send + Sync + 'static>(slot: &Option<Slot<T>>) -> [Option<Arc<dyn std::any::Any + Send + Sync>>; 2] {
            match slot {
                None => [None, None],
                Some(s) => [
                    Some(s.current.clone() as Arc<dyn std::any::Any + Send + Sync>),
                    s.last_good.clone().map(|g| g as Arc<dyn std::any::Any + Send + Sync>),
                ],
            }
        }
        let mut others = Vec::with_capacity(12);
        others.extend(held(&self.matrix));
        others.extend(held(&self.state));
        others.extend(held(&self.scope));
        others.extend(held(&self.evidence));
        for slot in &self.agent_settings {
            others.extend(held(slot));
        }
        Basis {
            pipeline_gen: self.pipeline_gen,
            pipeline_path: self.pipeline.as_ref().map(|s| s.current.path.clone()),
            others,
            fs_epoch: fs.epoch(),
            git: git.cloned(),
            overrides: o.clone(),
        }
    }

    /// `analyze`, starting from the previous analysis when it can: when the only
    /// change since is one stage re-read in place (`pipeline::apply`) that kept its
    /// id, outputs and permissions, and no run is active (the live checks read the
    /// whole changed-path picture), only that stage's findings are made again; the
    /// others move with the text. Otherwise a full analysis. Same result either way
    /// (tested against `analyze` on random edits).
    pub fn analyze_since(
        &self,
        prev: Option<Analysis>,
        fs: &dyn FsView,
        changes: &[Change],
        git: Option<&GitFacts>,
        overrides: &SeverityOverrides,
    ) -> Analysis {
        let basis = self.basis(fs, git, overrides);
        if let Some(findings) = prev.and_then(|prev| self.reuse(prev, &basis, fs, git, overrides)) {
            return Analysis { findings: Arc::new(findings), reused: true, basis };
        }
        Analysis { findings: Arc::new(self.analyze(fs, changes, git, overrides)), reused: false, basis }
    }

    fn reuse(
        &self,
        prev: Analysis,
        basis: &Basis,
        fs: &dyn FsView,
        git: Option<&GitFacts>,
        overrides: &SeverityOverrides,
    ) -> Option<Vec<Finding>> {
        if !prev.basis.same_inputs(basis) || self.run_is_active() {
            return None;
        }
        if prev.basis.pipeline_gen == self.pipeline_gen {
            return Some(Arc::try_unwrap(prev.findings).unwrap_or_else(|shared| (*shared).clone()));
        }
        let (gen, edit) = self.last_edit.as_ref()?;
        if *gen != self.pipeline_gen || prev.basis.pipeline_gen + 1 != *gen {
            return None;
        }
        let slot = self.pipeline.as_ref()?;
        let loaded = &slot.current;
        let stages = &loaded.model.as_ref()?.stages;
        let stage = stages.get(edit.stage)?;
        if slot.last_good.is_some() {
            return None;
        }
        let facets = edit.changed_facets(stage)?;
        // Other stages whose findings may change with this one.
        let affected = affected_stages(stages, edit, stage, &facets)?;

        let path = loaded.path.as_str();
        // This file's findings share one path (see `Sink`): compared by pointer.
        let here: Arc<str> =
            prev.findings.iter().find(|f| *f.path == *path).map_or_else(|| Arc::from(path), |f| f.path.clone());
        let new_end = u32::try_from(i64::from(edit.old_end) + edit.delta).ok()?;
        let mut findings = Arc::try_unwrap(prev.findings).unwrap_or_else(|shared| (*shared).clone());
        // The old stage's findings go; later ones move with the text. A finding that
        // straddles the stage's bounds cannot be placed: start afresh then.
        let mut straddles = false;
        findings.retain_mut(|f| {
            if !f.is_in(&here) {
                return !facets.files;
            }
            let r = &mut f.diagnostic.range;
            if r.start >= edit.old_end {
                r.start = (i64::from(r.start) + edit.delta) as u32;
                r.end = (i64::from(r.end) + edit.delta) as u32;
            } else if r.start >= edit.start {
                straddles |= r.end > edit.old_end;
                return false;
            } else {
                straddles |= r.end > edit.start;
            }
            // An affected stage's check findings are made again below.
            let at = r.start;
            !(checks::STAGE_CODES.contains(&f.diagnostic.code)
                && affected.iter().any(|&k| stages[k].range.contains(at)))
        });
        if straddles {
            return None;
        }
        // Made again: the edited stage's own findings and checks, the affected
        // stages' checks, and (when ids or outputs changed) the other files' findings.
        let mut fresh: Vec<Finding> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.range.start >= edit.start && d.range.start < new_end)
            .map(|d| Finding { path: here.clone(), diagnostic: d.clone() })
            .collect();
        let ctx = self.context(fs, &[], git);
        let mut sink = Sink::with_path(here.clone());
        checks::run_stage(&ctx, edit.stage, &mut sink);
        for &k in &affected {
            checks::run_stage(&ctx, k, &mut sink);
        }
        let in_place = |f: &Finding| {
            f.is_in(&here)
                && ((f.diagnostic.range.start >= edit.start && f.diagnostic.range.end <= new_end)
                    || affected.iter().any(|&k| stages[k].range.contains(f.diagnostic.range.start)))
        };
        if !sink.findings.iter().all(in_place) {
            return None;
        }
        fresh.extend(sink.findings);
        if facets.files {
            let mut sink = Sink::default();
            checks::run_files(&ctx, &mut sink);
            if sink.findings.iter().any(|f| f.is_in(&here)) {
                return None;
            }
            fresh.extend(self.drop_stale(sink.findings));
            self.own_of_others(&mut fresh);
        }
        apply_overrides(&mut fresh, overrides);
        findings.extend(fresh);
        // Mostly sorted runs: a stable merge sort is near linear here.
        sort(&mut findings);
        Some(findings)
    }
}

/// The stages other than the edited one whose check findings may change: those
/// sharing its old or new id (duplicates, and whose permissions count), and the
/// later ones with an input its old or new outputs provide. None when too many
/// (or when whether any stage has `permissions.write` may have changed): then a
/// full analysis is as cheap.
fn affected_stages(stages: &[Stage], edit: &StageEdit, now: &Stage, f: &Facets) -> Option<Vec<usize>> {
    const MOST: usize = 64;
    let mut out = Vec::new();
    if f.id || f.permissions {
        let ids: Vec<&str> = [&edit.old.id, &now.id].into_iter().flatten().map(|i| i.value.as_str()).collect();
        for (k, s) in stages.iter().enumerate() {
            if k != edit.stage && s.id.as_ref().is_some_and(|i| ids.contains(&i.value.as_str())) {
                out.push(k);
            }
        }
    }
    if f.outputs {
        let outs: Vec<&str> = edit.old.outputs.iter().chain(&now.outputs).map(|o| o.value.as_str()).collect();
        for (k, s) in stages.iter().enumerate().skip(edit.stage + 1) {
            if s.inputs.iter().any(|i| outs.iter().any(|o| checks::output_provides(o, &i.value))) {
                out.push(k);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    (out.len() <= MOST).then_some(out)
}
