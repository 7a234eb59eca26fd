//! No import cycle between the files of `src/`.
//!
//! Every file is a node. An edge runs from a file to each file it names through a path that
//! starts at `crate::`, `csplens::`, `super::` or `self::` (in `use` items, braces expanded, and
//! inline in code), resolved to the deepest file the path reaches. A file naming its own
//! ancestor module (`use super::Shape` in `shape/rules.rs`) is Rust's nesting, not layering, and
//! is not an edge; everything else is, and the graph must have no cycle.
//!
//! The same holds one level up: among `src/`'s top-level modules (`vocab`, `kinds`, `network`,
//! `shape`, `profile`, …), an edge for any path a file of one names into another, `lib.rs` and
//! `main.rs` left out, there is no cycle either.
//!
//! `cargo test --test no_cycles -- --nocapture` prints the edges of any cycle it finds.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A source file's module path (`["shape", "rules"]`; the crate root is `[]`).
type ModPath = Vec<String>;

fn module_files(root: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).expect("under src/");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if parts
                .last()
                .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
            {
                parts.pop();
            }
            // lib.rs and main.rs are both the root of their crate; keep them apart.
            let key = match rel.to_str() {
                Some("main.rs") => vec!["<main>".to_string()],
                _ => parts,
            };
            out.insert(key, path);
        }
    }
    out
}

/// Removes comments, string and char literals (a rough lexer, enough for paths).
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i + 1 < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if b[i] == b'r' && b[i..].starts_with(b"r#\"") {
            let end = text[i + 3..].find("\"#").map_or(b.len(), |e| i + 3 + e + 2);
            i = end;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Every path a file names: `use` trees expanded, then inline `crate::a::b` paths.
fn named_paths(text: &str) -> Vec<Vec<String>> {
    let code = strip(text);
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
        let tail = &rest[at + 4..];
        let end = tail.find(';').unwrap_or(tail.len());
        if before_ok {
            expand(&tail[..end], &mut Vec::new(), &mut paths);
        }
        rest = &tail[end.min(tail.len())..];
    }
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    for (i, _) in code.match_indices("::") {
        let start = code[..i].rfind(|c: char| !ident(c)).map_or(0, |s| s + 1);
        let end = code[i..]
            .find(|c: char| !ident(c))
            .map_or(code.len(), |e| i + e);
        let path: Vec<String> = code[start..end]
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if path
            .first()
            .is_some_and(|f| ["crate", "csplens", "super", "self"].contains(&f.as_str()))
        {
            paths.push(path);
        }
    }
    paths
}

/// Expands one `use` tree (`crate::{a::b, c::{d, e}}`) into its paths.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let n = prefix.len();
        prefix.extend(head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], prefix, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], prefix, out);
        prefix.truncate(n);
    } else {
        let mut path = prefix.clone();
        let tree = tree.split(" as ").next().unwrap_or(tree);
        path.extend(
            tree.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        if path.len() > 1 && path.last().is_some_and(|l| l == "self") {
            path.pop();
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
}

/// The module a path names from file `at`, as deep as a file exists.
fn resolve(path: &[String], at: &ModPath, files: &BTreeMap<ModPath, PathBuf>) -> Option<ModPath> {
    let mut base: ModPath = match path.first()?.as_str() {
        "crate" | "csplens" => Vec::new(),
        "super" => at[..at.len().saturating_sub(1)].to_vec(),
        "self" => at.clone(),
        _ => return None,
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    let mut best = None;
    let mut cur = base.clone();
    if files.contains_key(&cur) {
        best = Some(cur.clone());
    }
    for seg in rest {
        cur.push(seg.clone());
        if files.contains_key(&cur) {
            best = Some(cur.clone());
        } else {
            break;
        }
    }
    best
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The import graph: file → files it names (ancestors excluded).
fn graph() -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let files = module_files(&src());
    let mut g = BTreeMap::new();
    for (m, path) in &files {
        let text = std::fs::read_to_string(path).expect("read source");
        let mut edges = BTreeSet::new();
        for p in named_paths(&text) {
            // The binary's files and the library's share one folder without a name in common,
            // so `crate::cli` (binary) and `crate::shape` (library) resolve alike.
            let Some(target) = resolve(&p, m, &files) else {
                continue;
            };
            let ancestor = target.len() < m.len() && m[..target.len()] == target[..];
            if target != *m && !ancestor {
                edges.insert(target);
            }
        }
        g.insert(m.clone(), edges);
    }
    g
}

/// Strongly connected components of more than one file (Tarjan).
fn cycles(g: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct T<'a> {
        g: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a ModPath) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let Some((w, _)) = t.g.get_key_value(w) else {
                continue;
            };
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// Prints the edges of each cycle (`cargo test --test no_cycles -- --nocapture`).
fn print_cycles(g: &BTreeMap<ModPath, BTreeSet<ModPath>>, found: &[Vec<ModPath>], what: &str) {
    for comp in found {
        let set: BTreeSet<_> = comp.iter().collect();
        eprintln!("cycle among {} {what}:", comp.len());
        for v in comp {
            for w in g[v].iter().filter(|w| set.contains(w)) {
                eprintln!("  {} -> {}", v.join("/"), w.join("/"));
            }
        }
    }
}

#[test]
fn src_has_no_import_cycle() {
    let g = graph();
    assert!(g.len() > 50, "found only {} files under src/", g.len());
    let found = cycles(&g);
    print_cycles(&g, &found, "files");
    assert!(
        found.is_empty(),
        "{} import cycles in src/ (run with --nocapture for the edges)",
        found.len()
    );
}

/// The graph of `src/`'s top-level modules: an edge from `a` to `b` for any path into `b`
/// named by a file of `a` (`lib.rs` and `main.rs`, the two crate roots, left out).
fn top_level(g: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let top = |m: &ModPath| -> Option<ModPath> {
        let first = m.first()?;
        (first != "<main>").then(|| vec![first.clone()])
    };
    let mut out: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (from, targets) in g {
        let Some(a) = top(from) else { continue };
        let edges = out.entry(a.clone()).or_default();
        for b in targets.iter().filter_map(top).filter(|b| *b != a) {
            edges.insert(b);
        }
    }
    out
}

#[test]
fn src_top_level_modules_have_no_cycle() {
    let g = top_level(&graph());
    for layer in ["vocab", "kinds", "network", "shape", "profile"] {
        assert!(
            g.contains_key(&vec![layer.to_string()]),
            "no module {layer}"
        );
    }
    let found = cycles(&g);
    print_cycles(&g, &found, "top-level modules");
    assert!(
        found.is_empty(),
        "{} import cycles among src/'s top-level modules (run with --nocapture for the edges)",
        found.len()
    );
    // the kinds sit below the stages that drive them
    let kinds = &g[&vec!["kinds".to_string()]];
    for stage in ["network", "shape", "profile"] {
        assert!(
            !kinds.contains(&vec![stage.to_string()]),
            "kinds imports {stage}"
        );
    }
}

#[test]
fn the_checker_sees_a_cycle_and_expands_use_trees() {
    let mut paths = Vec::new();
    expand(
        "crate::{a::{b, c as d}, e::self}",
        &mut Vec::new(),
        &mut paths,
    );
    let text: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(text, ["crate::a::b", "crate::a::c", "crate::e"]);
    let m = |s: &str| s.split('/').map(str::to_string).collect::<ModPath>();
    let g: BTreeMap<_, BTreeSet<_>> = [
        (m("a"), [m("b")].into()),
        (m("b"), [m("c")].into()),
        (m("c"), [m("a")].into()),
        (m("d"), [m("a")].into()),
    ]
    .into();
    assert_eq!(cycles(&g).len(), 1);
    assert_eq!(cycles(&g)[0].len(), 3);
}
