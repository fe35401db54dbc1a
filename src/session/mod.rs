//! The reconcile session: the pipeline that `plan`, `apply` and every later command that reads
//! the live account share — load and check the manifests, settle the owner, substitute
//! `${NAME}`, connect, resolve targets, read the live state, compute the plan, and save it.
//!
//! Commands call into it and render what it returns; it prints nothing. It reads no process
//! environment itself: the command line hands it a lookup for `${NAME}` and the connection
//! inputs ([`Connect`]).

mod connect;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use connect::{
    Connect, Connection, LOCAL_API, LOCAL_DIR, LOCAL_EXTERNAL_ADVICE, LOCAL_PROJECT_STATE,
    LocalProject, SeedTarget, find_local_dir, fire_local, local_user, prepare_local_dir,
    seed_state, start_local,
};

use crate::error::Error;
use crate::manifest::{self, Manifests, ResolvedWebhook};
use crate::plan::saved::{Provenance, SavedPlan, Staleness};
use crate::plan::{self, Plan, PlanOptions};
use crate::platform::Platform;
use crate::refresh;

/// The largest saved plan `apply --plan` reads (a plan at the 100-webhook cap is well under
/// 1 MiB).
pub const MAX_SAVED_PLAN_BYTES: u64 = 16 * 1024 * 1024;

/// The manifest paths a command reads: those given, or the current directory when none.
pub fn manifest_paths(given: &[PathBuf]) -> Vec<PathBuf> {
    if given.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        given.to_vec()
    }
}

/// Loaded, valid manifests and the owner they are planned for.
#[derive(Debug)]
pub struct Workspace {
    /// The manifests.
    pub manifests: Manifests,
    /// The owner (`--owner`, `APIFY_WEBHOOKS_OWNER` and the manifests' `owner:` agree on it).
    pub owner: String,
    /// The paths the manifests were loaded from, as given (the current directory when none).
    pub paths: Vec<PathBuf>,
}

/// The declared webhooks with `${NAME}` substituted, and what a saved plan records of them.
#[derive(Debug)]
pub struct Desired<'w> {
    /// The webhooks, resolved.
    pub webhooks: Vec<ResolvedWebhook<'w>>,
    /// Every value read from the environment, sorted and deduplicated: never printed.
    pub secrets: Vec<String>,
    /// The digest of the manifests (paths and contents).
    pub digest: String,
    /// The environment's plain vars (none without a project file): shown, never secret.
    pub vars: BTreeMap<String, String>,
}

/// A computed plan and the account it was computed for.
#[derive(Debug)]
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// The user ID behind the token.
    pub account: String,
    /// The API base URL, or [`LOCAL_API`].
    pub api: String,
}

impl Workspace {
    /// Loads the manifests at `paths` (the current directory when none) and settles the owner
    /// with `owner`; fails with every diagnostic (exit 65) on any invalid manifest or
    /// disagreeing owner.
    pub fn load(paths: &[PathBuf], owner: Option<&str>) -> Result<Self, Error> {
        Self::load_with(paths, owner, &BTreeMap::new(), |_| None)
    }

    /// [`Workspace::load`] for an environment of a project file: its plain `vars` go into the
    /// Actor and task references that use `${NAME}` (a name only `env`, the process
    /// environment, knows is a secret there: an error).
    pub fn load_with(
        paths: &[PathBuf],
        owner: Option<&str>,
        vars: &BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let paths = manifest_paths(paths);
        let mut manifests = manifest::load(&paths).map_err(|diagnostics| {
            saved_plan_among(&paths).unwrap_or(Error::InvalidManifest(diagnostics))
        })?;
        manifests
            .apply_vars(vars, env)
            .map_err(Error::InvalidManifest)?;
        let owner = manifests.owner(owner).map_err(Error::InvalidManifest)?;
        Ok(Workspace {
            manifests,
            owner,
            paths,
        })
    }

    /// Substitutes `${NAME}` from `env`; fails with exit 65 listing every unset variable.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Desired<'_>, Error> {
        self.resolve_with(&BTreeMap::new(), env)
    }

    /// Substitutes `${NAME}` from an environment's plain `vars` first (shown), then from `env`
    /// (secrets); fails with exit 65 listing every unset variable.
    pub fn resolve_with(
        &self,
        vars: &BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Desired<'_>, Error> {
        let webhooks = self
            .manifests
            .resolve_with(vars, env)
            .map_err(Error::InvalidManifest)?;
        let mut secrets: Vec<String> = webhooks
            .iter()
            .flat_map(|r| r.secrets.iter().cloned())
            .collect();
        secrets.sort();
        secrets.dedup();
        Ok(Desired {
            webhooks,
            secrets,
            digest: self.manifests.digest(),
            vars: vars.clone(),
        })
    }

    /// The paths as strings, for saved plans.
    pub fn path_strings(&self) -> Vec<String> {
        self.paths.iter().map(|p| p.display().to_string()).collect()
    }
}

/// Reads the live state for `desired` (and who the token belongs to, in the same round trip),
/// expands the patterns and computes the plan.
pub async fn plan<P: Platform>(
    platform: &P,
    api: &str,
    desired: &Desired<'_>,
    owner: &str,
    options: PlanOptions,
) -> Result<Planned, Error> {
    let refreshed = refresh::refresh(platform, &desired.webhooks, owner).await?;
    let specs = refresh::desired_specs(&desired.webhooks, &refreshed.targets, &refreshed.matches);
    let mut plan = plan::plan(&specs, &refreshed.live, owner, options);
    plan.patterns = refreshed.matches;
    Ok(Planned {
        plan,
        account: refreshed.user.id,
        api: api.to_owned(),
    })
}

/// The desired state of `destroy`: nothing, so the plan deletes every webhook the owner
/// manages (and touches nothing unmanaged or foreign).
pub fn nothing_desired(vars: BTreeMap<String, String>) -> Desired<'static> {
    Desired {
        webhooks: Vec::new(),
        secrets: Vec::new(),
        digest: String::new(),
        vars,
    }
}

/// One environment's plan inputs: the client, where it points, the desired state and owner.
pub struct EnvironmentInput<'a> {
    /// The environment's name.
    pub name: &'a str,
    /// Its connection.
    pub connection: &'a Connection,
    /// Its desired state.
    pub desired: &'a Desired<'a>,
    /// Its owner.
    pub owner: &'a str,
    /// Its plan options (a saved plan's, when applying one).
    pub options: PlanOptions,
}

/// Plans every environment concurrently, each through its own client (so each token goes to
/// its own API only). All or nothing: the first environment (in the given order) that cannot be
/// planned fails the whole run, named; then two environments with the same account and owner
/// are refused ([`crate::error::Refused::Twins`]). Nothing is written.
pub async fn plan_environments(inputs: &[EnvironmentInput<'_>]) -> Result<Vec<Planned>, Error> {
    let results = futures_util::future::join_all(inputs.iter().map(|i| {
        plan(
            &i.connection.client,
            &i.connection.api,
            i.desired,
            i.owner,
            i.options,
        )
    }))
    .await;
    let mut planned = Vec::with_capacity(results.len());
    for (input, result) in inputs.iter().zip(results) {
        planned.push(result.map_err(|e| e.in_environment(input.name))?);
    }
    refuse_twins(
        &inputs
            .iter()
            .zip(&planned)
            .map(|(i, p)| (i.name, p.account.as_str(), i.owner))
            .collect::<Vec<_>>(),
    )?;
    Ok(planned)
}

/// Refuses two environments `(name, account, owner)` with the same account and owner.
pub fn refuse_twins(environments: &[(&str, &str, &str)]) -> Result<(), Error> {
    for (i, (first, account, owner)) in environments.iter().enumerate() {
        if let Some((second, ..)) = environments[i + 1..]
            .iter()
            .find(|(_, a, o)| a == account && o == owner)
        {
            return Err(Error::Refused(crate::error::Refused::Twins {
                first: (*first).to_owned(),
                second: (*second).to_owned(),
                account: (*account).to_owned(),
                owner: (*owner).to_owned(),
            }));
        }
    }
    Ok(())
}

/// A saved plan file: of one run, or of the environments of a project file.
#[derive(Debug)]
pub enum SavedFile {
    /// `plan --out` without a project file.
    Single(SavedPlan),
    /// `plan --out` with a project file.
    Project(crate::plan::saved::SavedProject),
}

/// Reads a saved plan of either kind; a file that is neither is [`Error::NotASavedPlan`].
pub fn read_saved_file(path: &Path) -> Result<SavedFile, Error> {
    let bytes = crate::files::read_bounded(path, MAX_SAVED_PLAN_BYTES).map_err(|e| {
        Error::io(
            format!("cannot read the saved plan `{}`", path.display()),
            e,
        )
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::NotASavedPlan {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let not = |e: serde_json::Error| Error::NotASavedPlan {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if value.get("kind").and_then(serde_json::Value::as_str)
        == Some(crate::plan::saved::PROJECT_KIND)
    {
        serde_json::from_value(value)
            .map(SavedFile::Project)
            .map_err(not)
    } else {
        serde_json::from_value(value)
            .map(SavedFile::Single)
            .map_err(not)
    }
}

/// The text of a saved project plan: pretty JSON with a final newline.
pub fn saved_project_text(saved: &crate::plan::saved::SavedProject) -> String {
    let mut text = serde_json::to_string_pretty(saved).expect("a saved plan serializes");
    text.push('\n');
    text
}

/// Plan options with a fresh random key for the run's hashes.
pub fn plan_options(force: bool, no_delete: bool) -> Result<PlanOptions, Error> {
    let mut key = [0u8; 16];
    getrandom::fill(&mut key)
        .map_err(|e| Error::io("no randomness from the system", e.to_string()))?;
    Ok(PlanOptions {
        force,
        no_delete,
        key,
    })
}

/// What a saved plan records about where `planned` came from.
pub fn provenance<'a>(
    desired: &'a Desired<'_>,
    planned: &'a Planned,
    options: PlanOptions,
    paths: &'a [String],
    salt: &'a str,
) -> Provenance<'a> {
    Provenance {
        options,
        api: &planned.api,
        account: &planned.account,
        paths,
        manifest_digest: &desired.digest,
        secrets: &desired.secrets,
        salt,
        tool_version: env!("CARGO_PKG_VERSION"),
    }
}

/// What makes a saved plan stale that the file alone tells, before connecting anywhere: it was
/// made for another owner than `owner`, or against the local emulator when applied against an
/// API (`local` false), or the other way round.
pub fn stale_before_connecting(
    saved: &SavedPlan,
    owner: Option<&str>,
    local: bool,
) -> Vec<Staleness> {
    if let Some(owner) = owner
        && saved.owner != owner
    {
        return vec![Staleness::Owner(saved.owner.clone())];
    }
    let made_locally = saved.api == LOCAL_API;
    if made_locally == local {
        Vec::new()
    } else {
        vec![Staleness::Local { made_locally }]
    }
}

/// Why `saved` no longer matches `planned`, the same plan computed again now (with the saved
/// plan's options and salt): every reason that holds, none that does not.
pub fn staleness(
    saved: &SavedPlan,
    desired: &Desired<'_>,
    planned: &Planned,
    options: PlanOptions,
) -> Vec<Staleness> {
    let now = SavedPlan::new(
        &planned.plan,
        &provenance(desired, planned, options, &saved.paths, &saved.salt),
    );
    saved.staleness(&now)
}

/// The text of a saved plan file: pretty JSON with a final newline.
pub fn saved_plan_text(saved: &SavedPlan) -> String {
    let mut text = serde_json::to_string_pretty(saved).expect("a saved plan serializes");
    text.push('\n');
    text
}

/// Saves a plan to `path` for `apply --plan`: atomically, mode 0600, through a symbolic link to
/// its target; a device, FIFO or directory is refused.
pub fn save(path: &Path, saved: &SavedPlan) -> Result<(), Error> {
    save_text(path, &saved_plan_text(saved))
}

/// Saves the text of a saved plan as [`save`] does.
pub fn save_text(path: &Path, text: &str) -> Result<(), Error> {
    crate::files::write_private(path, text.as_bytes()).map_err(|e| {
        let help = if matches!(e, crate::files::FileError::NotRegular { .. }) {
            " (use `--out -` to write the saved plan to standard output)"
        } else {
            ""
        };
        Error::io("cannot save the plan", format!("{e}{help}"))
    })
}

/// A usage error for the first of `paths` that is a saved plan (`apply plan.json`, as
/// Terraform takes one), naming the command that applies it; `None` when none is.
fn saved_plan_among(paths: &[PathBuf]) -> Option<Error> {
    let path = paths
        .iter()
        .find(|p| p.is_file() && read_saved(p).is_ok())?;
    let shown = path.display().to_string();
    let shown = crate::diagnostic::shown(&shown);
    Some(Error::Usage(format!(
        "`{shown}` is a saved plan, not a manifest: apply exactly this plan with \
         `apify-webhooks apply --plan {shown}`, or give the manifests' folder to plan again"
    )))
}

/// Reads a saved plan; a file that is not one is [`Error::NotASavedPlan`] (exit 64).
pub fn read_saved(path: &Path) -> Result<SavedPlan, Error> {
    let bytes = crate::files::read_bounded(path, MAX_SAVED_PLAN_BYTES).map_err(|e| {
        Error::io(
            format!("cannot read the saved plan `{}`", path.display()),
            e,
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::NotASavedPlan {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
