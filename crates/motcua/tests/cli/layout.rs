//! The workspace's layout rules (issue #6, docs/ARCHITECTURE.md), checked
//! on the source tree so that a change breaking them fails here:
//! - no import cycle between the top-level modules of any crate (read from
//!   `crate::…` paths outside `#[cfg(test)]` code and comments);
//! - no library crate but `web` depends on axum, except behind the
//!   demo/test features (`testca`, `devop`);
//! - the kernel, the store and the domain depend on no HTTP server crate;
//!   the domain and the store on no HTTP crate at all (the kernel's outbox
//!   delivers webhooks with `reqwest`);
//! - crates depend only downwards: domain → store → kernel → identity →
//!   nsw → web → motcua, and a context never on one above it.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The names after `crate::` in `text`, test code and comments left out.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    for part in code.split("crate::").skip(1) {
        if let Some(group) = part.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or_default();
            for item in inner.split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(part);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Top-level module → the top-level modules it uses.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let refs = crate_refs(&text);
        graph
            .entry(top.clone())
            .or_default()
            .extend(refs.into_iter().filter(|r| *r != top));
    }
    let names: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| names.contains(d));
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
    g.insert("c".into(), ["a".to_string()].into());
    assert!(find_cycle(&g).is_some());
    assert_eq!(
        crate_refs("use crate::{ctx::Ctx, error};\n// crate::nope\nlet x = crate::sla::items();\n#[cfg(test)]\nuse crate::tested;"),
        ["ctx", "error", "sla"].iter().map(|s| s.to_string()).collect()
    );
}

#[test]
fn no_import_cycle_inside_any_crate() {
    let crates = workspace().join("crates");
    let mut checked = 0;
    for e in std::fs::read_dir(&crates).unwrap().flatten() {
        let src = e.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = module_graph(&src);
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{}: import cycle {}", e.path().display(), cycle.join(" → "));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} crates read");
}

#[test]
fn only_web_depends_on_axum() {
    let crates = workspace().join("crates");
    for e in std::fs::read_dir(&crates).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(manifest) = std::fs::read_to_string(e.path().join("Cargo.toml")) else {
            continue;
        };
        let deps = manifest
            .split("[dependencies]")
            .nth(1)
            .unwrap_or_default()
            .split("\n[")
            .next()
            .unwrap_or_default();
        for line in deps.lines().filter(|l| l.trim_start().starts_with("axum")) {
            let allowed = match name.as_str() {
                "web" | "motcua" | "signer" => true,
                // Simulators of outside services, demo and tests only.
                "pki" | "oidc" | "payments" | "postal" => line.contains("optional = true"),
                _ => false,
            };
            assert!(allowed, "crates/{name} depends on axum: {line}");
        }
        if matches!(name.as_str(), "kernel" | "domain" | "store") {
            let forbidden: &[&str] = if name == "kernel" {
                &["axum", "tower", "hyper"]
            } else {
                &["axum", "tower", "reqwest", "hyper"]
            };
            for http in forbidden {
                assert!(
                    !deps.lines().any(|l| l.trim_start().starts_with(http)),
                    "crates/{name} depends on {http}"
                );
            }
        }
    }
}

/// The workspace crates (`motcua-…` names, without the prefix) a crate's
/// `[dependencies]` name.
fn workspace_deps(manifest: &str) -> BTreeSet<String> {
    manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap_or_default()
        .split("\n[")
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("motcua-"))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_ascii_lowercase())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn crates_depend_only_downwards() {
    // Lower index = lower layer. A crate may depend only on crates of a
    // lower layer; side crates (mail, pki, oidc) sit just above the domain.
    let order = [
        "domain", "mail", "pki", "oidc", "store", "kernel", "identity", "catalog", "forms",
        "dossiers", "handling", "payments", "postal", "feedback", "stats", "content", "sso",
        "interop", "nsw", "web", "motcua",
    ];
    let rank = |n: &str| order.iter().position(|o| *o == n);
    let crates = workspace().join("crates");
    let mut checked = 0;
    for name in order {
        let manifest = std::fs::read_to_string(crates.join(name).join("Cargo.toml")).unwrap();
        let deps = workspace_deps(&manifest);
        for d in &deps {
            let (Some(me), Some(it)) = (rank(name), rank(d)) else {
                panic!("crates/{name} depends on motcua-{d}, which the layer order does not name");
            };
            assert!(
                it < me,
                "crates/{name} depends on motcua-{d}, a crate above it"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, order.len());
    // The contexts: nsw uses identity's API; identity does not know nsw.
    let identity = std::fs::read_to_string(crates.join("identity/Cargo.toml")).unwrap();
    assert!(!workspace_deps(&identity).contains("nsw"));
    let nsw = std::fs::read_to_string(crates.join("nsw/Cargo.toml")).unwrap();
    assert!(workspace_deps(&nsw).contains("identity"));
    // signer depends on no crate of ours; testkit only on the store.
    let signer = std::fs::read_to_string(crates.join("signer/Cargo.toml")).unwrap();
    assert!(workspace_deps(&signer).is_empty());
}

#[test]
fn the_dependency_reader_reads_workspace_crates() {
    let m = "[package]\nname = \"x\"\n[dependencies]\nmotcua-domain.workspace = true\nmotcua-store = { path = \"../store\" }\nserde = \"1\"\n[dev-dependencies]\nmotcua-web.workspace = true\n";
    assert_eq!(
        workspace_deps(m),
        ["domain", "store"].iter().map(|s| s.to_string()).collect()
    );
}

/// Where SQL lives: the shared store and the contexts' own table modules.
const STORE_ROOTS: &[&str] = &[
    "motcua_store::",
    "motcua_nsw::store::",
    "motcua_identity::store::",
];

/// Calls into the store in `code`: a connection or transaction opened, or
/// a function of a store module called (through `motcua_store::m::f(`, a
/// context's `motcua_nsw::store::m::f(`, or a name a `use` of one of them
/// gave the module). Types of the store (rows shown on pages) are allowed.
fn store_calls(code: &str) -> Vec<String> {
    let code: String = code
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for pat in [".conn()", ".begin()", ".ping()", "store.", "AnyConnection"] {
        if code.contains(pat) {
            found.push(pat.to_string());
        }
    }
    let is_fn = |s: &str| {
        let name: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = s[name.len()..].trim_start();
        !name.is_empty()
            && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && (rest.starts_with('(') || rest.starts_with("::<"))
    };
    // Module names bound by `use motcua_store::…`.
    let mut modules: BTreeSet<String> = BTreeSet::new();
    for stmt in code.split(';') {
        let Some(path) = STORE_ROOTS.iter().find_map(|r| {
            stmt.trim()
                .strip_prefix("use ")
                .and_then(|p| p.strip_prefix(r))
        }) else {
            continue;
        };
        let (head, group) = match path.split_once("::{") {
            Some((h, g)) => (h, Some(g.trim_end_matches('}'))),
            None => (path, None),
        };
        let last = |p: &str| p.rsplit("::").next().unwrap_or(p).trim().to_string();
        match group {
            None => {
                let (p, alias) = match head.split_once(" as ") {
                    Some((p, a)) => (p, a.trim().to_string()),
                    None => (head, last(head)),
                };
                if last(p).starts_with(|c: char| c.is_ascii_lowercase()) {
                    modules.insert(alias);
                }
            }
            Some(g) => {
                for item in g.split(',') {
                    let item = item.trim();
                    match item.split_once(" as ") {
                        Some(("self", a)) => {
                            modules.insert(a.trim().to_string());
                        }
                        Some((p, a)) if p.starts_with(|c: char| c.is_ascii_lowercase()) => {
                            modules.insert(a.trim().to_string());
                        }
                        _ if item == "self" => {
                            modules.insert(last(head));
                        }
                        _ if item.starts_with(|c: char| c.is_ascii_lowercase()) => {
                            modules.insert(item.to_string());
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for m in modules
        .iter()
        .map(|m| format!("{m}::"))
        .chain(STORE_ROOTS.iter().map(|r| r.to_string()))
    {
        for (i, _) in code.match_indices(m.as_str()) {
            let before = code[..i].chars().last();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let mut rest = &code[i + m.len()..];
            // motcua_store::module::function(
            if STORE_ROOTS.contains(&m.as_str()) {
                let Some((_, r)) = rest.split_once("::") else {
                    continue;
                };
                if rest
                    .split("::")
                    .next()
                    .is_some_and(|s| s.contains(|c: char| !c.is_ascii_lowercase() && c != '_'))
                {
                    continue;
                }
                rest = r;
            }
            if is_fn(rest) {
                found.push(format!("{m}{}", rest.chars().take(30).collect::<String>()));
            }
        }
    }
    found
}

#[test]
fn the_store_call_finder_finds_calls() {
    assert!(store_calls("use motcua_store::accounts::Account;\nfn f(a: Account) {}").is_empty());
    assert!(store_calls("use motcua_store::audit;\nfn f(c: audit::Ctx) {}").is_empty());
    assert_eq!(
        store_calls("use motcua_store::audit;\nlet x = audit::list(&mut c, None, 5);").len(),
        1
    );
    assert_eq!(
        store_calls(
            "use motcua_nsw::store::provisioning::{self as store, Ministry};\nstore::request(c, 1)"
        )
        .len(),
        1
    );
    assert_eq!(
        store_calls("let x = motcua_store::jobs::counts(&mut c);").len(),
        1
    );
    assert_eq!(
        store_calls("let x = motcua_nsw::store::lifecycle::get(&mut c, 1);").len(),
        1
    );
    assert!(store_calls("fn f(r: motcua_nsw::store::lifecycle::Request) {}").is_empty());
    assert_eq!(
        store_calls(
            "use motcua_store::provisioning::{self as store, Ministry};\nstore::request(c, 1)"
        )
        .len(),
        1
    );
    assert_eq!(store_calls("let c = state.store.conn().await;").len(), 2);
    assert!(store_calls("// state.store.conn()\nlet x = 1;").is_empty());
}

/// Issue #6: `web` is HTTP only — it has no SQL and calls no store
/// function; the only store item it names outside types is `Store` in its
/// state wiring (`lib.rs`).
#[test]
fn web_calls_no_store_function() {
    let src = workspace().join("crates/web/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() >= 10, "only {} files read", files.len());
    let mut bad = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for call in store_calls(&text) {
            bad.push(format!(
                "{}: {call}",
                f.strip_prefix(&src).unwrap().display()
            ));
        }
        for sql in ["SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "sqlx::"] {
            if text.contains(sql) {
                bad.push(format!(
                    "{}: SQL `{sql}`",
                    f.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(bad.is_empty(), "web calls the store:\n{}", bad.join("\n"));
}

/// Issue #6: a context owns its tables. A context's table modules
/// (`motcua_<context>::store`) are named by no other crate's sources but
/// `web`'s, which may name their row types and calls none of their
/// functions (`web_calls_no_store_function`); a moved module is gone from
/// the shared store.
#[test]
fn context_tables_belong_to_their_context() {
    let owned: &[(&str, &[&str])] = &[
        ("nsw", &["registrations", "lifecycle", "provisioning"]),
        ("catalog", &["procedures", "agencies", "officials"]),
        ("forms", &["forms"]),
        (
            "dossiers",
            &["drafts", "dossiers", "files", "notifications", "routes"],
        ),
        ("handling", &["cases", "people", "slips", "workflows"]),
        ("payments", &["requests", "attempts", "reconciliation"]),
        ("postal", &["orders"]),
        ("feedback", &["items", "pending"]),
        ("stats", &["formulas"]),
        ("content", &["items"]),
        (
            "sso",
            &["clients", "keys", "codes", "grants", "refresh", "sessions"],
        ),
        ("interop", &["idempotency", "calls"]),
        (
            "identity",
            &[
                "accounts",
                "activity",
                "api_tokens",
                "credentials",
                "policies",
                "profile",
                "resets",
                "sessions",
                "throttle",
            ],
        ),
    ];
    let crates = [
        "domain", "store", "kernel", "identity", "catalog", "forms", "dossiers", "handling",
        "payments", "postal", "feedback", "stats", "content", "sso", "interop", "nsw", "motcua",
        "mail", "pki", "oidc",
    ];
    let mut bad = Vec::new();
    for (owner, modules) in owned {
        let root = format!("motcua_{owner}::store");
        for krate in crates.iter().filter(|k| *k != owner) {
            let src = workspace().join("crates").join(krate).join("src");
            let mut files = Vec::new();
            rust_files(&src, &mut files);
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap();
                if text.contains(&root) {
                    bad.push(format!("{}: {root}", f.display()));
                }
            }
        }
        for m in *modules {
            assert!(
                workspace()
                    .join(format!("crates/{owner}/src/store/{m}.rs"))
                    .exists(),
                "{owner}: {m} moved"
            );
            assert!(
                !workspace()
                    .join(format!("crates/store/src/{m}.rs"))
                    .exists(),
                "{m} left in the shared store"
            );
        }
    }
    assert!(
        bad.is_empty(),
        "a context's tables used outside it:\n{}",
        bad.join("\n")
    );
}

/// Issue #6: every table has one owner, and only its owner's SQL names it.
/// The shared store (and the kernel built on it) owns the infrastructure
/// tables; a context reaches another context's rows through that
/// context's public API (e.g. `motcua_identity::directory`), never by a
/// `FROM`, `JOIN`, `INTO` or `UPDATE` of its table. A table added by a
/// migration and missing here fails the test until it is given an owner.
fn table_owners() -> BTreeMap<&'static str, &'static str> {
    let owners: &[(&str, &[&str])] = &[
        ("forms", &["forms"]),
        (
            "feedback",
            &[
                "feedback_events",
                "feedback_files",
                "feedback_items",
                "feedback_pending",
            ],
        ),
        ("stats", &["stats_index_formulas"]),
        ("content", &["content_items", "content_versions"]),
        (
            "sso",
            &[
                "sso_clients",
                "sso_codes",
                "sso_grants",
                "sso_keys",
                "sso_assertions",
                "sso_refresh",
                "sso_sessions",
            ],
        ),
        ("interop", &["interop_calls", "interop_idempotency"]),
        (
            "postal",
            &["postal_choices", "postal_events", "postal_orders"],
        ),
        (
            "payments",
            &[
                "payment_attempts",
                "payment_callbacks",
                "payment_mismatches",
                "payment_reconciliations",
                "payment_requests",
            ],
        ),
        (
            "handling",
            &[
                "handling_board",
                "handling_cases",
                "handling_report",
                "handling_report_marks",
                "handling_report_stock",
                "handling_evaluations",
                "handling_notices",
                "handling_results",
                "handling_slips",
                "handling_staff",
                "handling_units",
                "handling_workflows",
            ],
        ),
        (
            "dossiers",
            &[
                "dossier_drafts",
                "dossier_events",
                "dossier_files",
                "dossier_routes",
                "dossier_serials",
                "dossier_signatures",
                "dossiers",
                "notification_preferences",
                "notifications",
                "parked_answers",
                "personal_documents",
            ],
        ),
        (
            "catalog",
            &[
                "catalog_agencies",
                "catalog_fee_schedules",
                "catalog_fields",
                "catalog_life_events",
                "catalog_officials",
                "procedure_facets",
                "procedures",
                "procedures_search",
            ],
        ),
        (
            "store",
            &[
                "attachments",
                "audit_head",
                "audit_log",
                "calendar_adjustments",
                "calendar_state",
                "deliveries",
                "events",
                "jobs",
                "schema_migrations",
                "specialized_systems",
                "write_lock",
            ],
        ),
        (
            "identity",
            &[
                "account_certificates",
                "account_count",
                "account_last_use",
                "account_roles",
                "accounts",
                "accounts_search",
                "activity",
                "api_tokens",
                "auth_challenges",
                "captchas",
                "compromise_reports",
                "data_reuse_log",
                "eid_link_requests",
                "eid_links",
                "identity_signups",
                "login_throttle",
                "oidc_auth_requests",
                "password_credentials",
                "password_resets",
                "policy_acceptances",
                "profile_attributes",
                "reuse_consents",
                "sessions",
                "sim_transactions",
            ],
        ),
        (
            "nsw",
            &[
                "civil_servants",
                "inactivity_warnings",
                "legal_bases",
                "lifecycle_requests",
                "ministries",
                "ministry_functions",
                "ministry_managers",
                "provisioning_counters",
                "provisioning_persons",
                "provisioning_requests",
                "registration_history",
                "registrations",
                "registrations_search",
                "work_units",
            ],
        ),
    ];
    let mut owner_of = BTreeMap::new();
    for (owner, tables) in owners {
        for t in *tables {
            assert!(owner_of.insert(*t, *owner).is_none(), "{t}: two owners");
        }
    }
    owner_of
}

/// The tables `krate`'s source `text` names in SQL: how many, and those
/// it may not (another owner's; the kernel may use the store's).
fn foreign_table_uses(
    krate: &str,
    text: &str,
    owner_of: &BTreeMap<&str, &str>,
) -> (usize, Vec<String>) {
    let words = sql_words(text);
    let (mut seen, mut bad) = (0, Vec::new());
    for w in words.windows(2) {
        if !["FROM", "JOIN", "INTO", "UPDATE"].contains(&w[0].as_str()) {
            continue;
        }
        let Some(owner) = owner_of.get(w[1].as_str()) else {
            continue;
        };
        seen += 1;
        if !(*owner == krate || (*owner == "store" && krate == "kernel")) {
            bad.push(format!("{} {} (owned by {owner})", w[0], w[1]));
        }
    }
    (seen, bad)
}

#[test]
fn the_table_scan_finds_foreign_sql() {
    let owners = table_owners();
    let sql = r#"sqlx::query("SELECT r.id FROM registrations r JOIN accounts a ON a.id = r.account_id WHERE r.id IN (SELECT x FROM jobs)")"#;
    let (seen, bad) = foreign_table_uses("nsw", sql, &owners);
    assert_eq!(seen, 3);
    assert_eq!(
        bad,
        vec![
            "JOIN accounts (owned by identity)".to_string(),
            "FROM jobs (owned by store)".to_string()
        ]
    );
    let (_, bad) = foreign_table_uses("kernel", "DELETE FROM jobs; UPDATE audit_head", &owners);
    assert!(bad.is_empty(), "{bad:?}");
    let (seen, _) = foreign_table_uses(
        "nsw",
        "// data from accounts, into the FROM (SELECT",
        &owners,
    );
    assert_eq!(
        seen, 0,
        "lower-case prose and subqueries are not table uses"
    );
}

#[test]
fn every_table_has_one_owner_and_only_its_owner_writes_sql_on_it() {
    let owner_of = table_owners();
    // Every table the migrations create has an owner.
    let mut created = BTreeSet::new();
    for backend in ["sqlite", "postgres"] {
        let dir = workspace().join("crates/store/migrations").join(backend);
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let sql = std::fs::read_to_string(e.path()).unwrap();
            let words = sql_words(&sql);
            for (i, w) in words.windows(2).enumerate() {
                // `REFERENCING NEW TABLE AS x` names a trigger's
                // transition table, not a table.
                let transition = i > 0 && ["NEW", "OLD"].contains(&words[i - 1].as_str());
                if w[0] == "TABLE"
                    && !transition
                    && !["IF", "NOT", "EXISTS"].contains(&w[1].as_str())
                {
                    created.insert(w[1].clone());
                }
            }
            for w in words.windows(5) {
                if w[..4] == ["TABLE", "IF", "NOT", "EXISTS"] {
                    created.insert(w[4].clone());
                }
            }
        }
    }
    let unowned: Vec<_> = created
        .iter()
        .filter(|t| !owner_of.contains_key(t.as_str()))
        .collect();
    assert!(unowned.is_empty(), "tables without an owner: {unowned:?}");
    assert!(created.contains("accounts") && created.contains("registrations"));

    // Only the owner's sources (the kernel may use the shared tables)
    // name a table after FROM / JOIN / INTO / UPDATE.
    let crates = [
        "domain", "store", "kernel", "identity", "catalog", "nsw", "web", "motcua", "mail", "pki",
        "oidc", "signer",
    ];
    let mut bad = Vec::new();
    let mut seen = 0;
    for krate in crates {
        let src = workspace().join("crates").join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let (n, uses) = foreign_table_uses(krate, &text, &owner_of);
            seen += n;
            for u in uses {
                bad.push(format!(
                    "{}: {u}",
                    f.strip_prefix(workspace()).unwrap_or(&f).display()
                ));
            }
        }
    }
    assert!(seen > 100, "the scan found the SQL ({seen} table uses)");
    assert!(
        bad.is_empty(),
        "SQL on another context's table:\n{}",
        bad.join("\n")
    );
}

/// The identifier-like words of `text`, in order (SQL keywords keep
/// their case; `FROM (SELECT` yields `FROM`, `SELECT`).
fn sql_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}
