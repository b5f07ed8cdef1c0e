//! What TOML and serde find wrong inside a `[[category]]` table, and `outranks` that names
//! no category or runs in a cycle: each error names the file, the category and the field.

use super::{broken, names};
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog};

/// The 1-based line of the first line of the shipped guide that starts with `start`, after
/// the line `after` starts.
fn line_of(after: &str, start: &str) -> usize {
    let lines: Vec<&str> = BUILTIN_CATALOG.lines().collect();
    let from = lines.iter().position(|l| l.starts_with(after)).unwrap();
    from + 1
        + lines[from..]
            .iter()
            .position(|l| l.starts_with(start))
            .unwrap()
}

#[test]
fn a_missing_field_names_the_category_and_the_field() {
    let msg = broken("name_en = \"Smuggled cigarettes\"\n", "");
    names(&msg, "category `smuggled`", "field `name_en`");
    assert!(msg.contains("missing field"), "{msg}");
}

#[test]
fn a_misspelt_field_names_the_category_and_the_misspelling() {
    let line = line_of("code = \"smuggled\"", "keywords = ");
    let at = BUILTIN_CATALOG.find("code = \"smuggled\"").unwrap();
    let keywords = at + BUILTIN_CATALOG[at..].find("\nkeywords = ").unwrap();
    let text = format!(
        "{}\nkeyword = {}",
        &BUILTIN_CATALOG[..keywords],
        &BUILTIN_CATALOG[keywords + "\nkeywords = ".len()..]
    );
    let msg = Catalog::from_toml(&text, "guide.toml")
        .unwrap_err()
        .to_string();
    names(&msg, "category `smuggled`", "field `keyword`");
    assert!(
        msg.contains("unknown field") && msg.contains("`keywords`"),
        "{msg}"
    );
    assert!(msg.contains(&format!("line {line}")), "{msg}");
}

#[test]
fn a_value_of_the_wrong_type_names_the_field_and_its_line() {
    let line = line_of("code = \"counterfeit\"", "urgency = ");
    let msg = broken(
        "urgency = \"II\"\npath = \"full\"\n# An unsatisfied",
        "urgency = 2\npath = \"full\"\n# An unsatisfied",
    );
    names(&msg, "category `counterfeit`", "field `urgency`");
    assert!(msg.contains(&format!("line {line}")), "{msg}");

    let msg = broken(
        "kinds = [\"report\", \"complaint\"]\nlead_department = \"enforcement\"\nassist_departments = [\"logistics\"]",
        "kinds = \"report\"\nlead_department = \"enforcement\"\nassist_departments = [\"logistics\"]",
    );
    names(&msg, "category `counterfeit`", "field `kinds`");

    let msg = broken(
        "lead_department = \"enforcement\"",
        "lead_department = \"police\"",
    );
    names(&msg, "category `counterfeit`", "field `lead_department`");
    assert!(msg.contains("police"), "{msg}");
}

#[test]
fn a_nested_field_is_named_by_its_path() {
    let msg = broken(
        "[category.sla.IV]\nintake = 4.0",
        "[category.sla.IV]\nintake = \"4h\"",
    );
    names(
        &msg,
        "category `order_consultation`",
        "field `sla.IV.intake`",
    );
    let msg = broken(
        "[category.sla.IV]\nintake = 4.0",
        "[category.sla.IV]\nintake = 4.0\nonsite = 1.0",
    );
    names(
        &msg,
        "category `order_consultation`",
        "field `sla.IV.onsite`",
    );
}

#[test]
fn a_category_without_a_readable_code_is_named_by_its_place() {
    let msg = broken("[[category]]\ncode = \"counterfeit\"\n", "[[category]]\n");
    names(&msg, "category `#1 (no code)`", "field `code`");
    assert!(msg.contains("missing field"), "{msg}");
    let msg = broken("code = \"smuggled\"", "code = 7");
    names(&msg, "category `#2 (no code)`", "field `code`");
}

#[test]
fn syntax_errors_and_a_misshapen_category_list_name_the_file() {
    let msg = broken("urgency = \"II\"", "urgency = \"II");
    assert!(msg.contains("guide.toml") && msg.contains("line"), "{msg}");
    // The guide-wide part with `category` as a number instead of a list of tables.
    let head = &BUILTIN_CATALOG[..BUILTIN_CATALOG.find("[[category]]").unwrap()];
    let text = format!("category = 3\n{head}");
    let msg = Catalog::from_toml(&text, "guide.toml")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("guide.toml") && msg.contains("must be a list of [[category]] tables"),
        "{msg}"
    );
}

#[test]
fn outranks_must_name_another_category() {
    let msg = broken(
        "outranks = [\"online_sale\"]",
        "outranks = [\"online_sales\"]",
    );
    names(&msg, "category `order_consultation`", "field `outranks`");
    assert!(msg.contains("`online_sales`"), "{msg}");
    let msg = broken(
        "outranks = [\"online_sale\"]",
        "outranks = [\"order_consultation\"]",
    );
    names(&msg, "category `order_consultation`", "field `outranks`");
}

#[test]
fn outranks_cycles_are_refused() {
    // Two categories over each other: counterfeit over unlicensed_retail and back.
    let msg = broken(
        "code = \"unlicensed_retail\"",
        "code = \"unlicensed_retail\"\noutranks = [\"counterfeit\"]",
    );
    names(&msg, "category `counterfeit`", "field `outranks`");
    assert!(
        msg.contains("`counterfeit` → `unlicensed_retail` → `counterfeit`")
            && msg.contains("cycle"),
        "{msg}"
    );
    // A longer chain: order_consultation → online_sale → counterfeit → order_consultation.
    let msg = broken(
        "outranks = [\"unlicensed_retail\"]",
        "outranks = [\"unlicensed_retail\", \"order_consultation\"]",
    );
    names(&msg, "category", "field `outranks`");
    for code in ["order_consultation", "online_sale", "counterfeit"] {
        assert!(msg.contains(&format!("`{code}` →")), "{code}: {msg}");
    }
}
