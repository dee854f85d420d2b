//! Spreadsheet formula injection (POLICY "Exports"): a cell that begins with `=`, `+`,
//! `-`, `@`, TAB or CR — or the full-width `＝ ＋ － ＠` — may be run as a formula by a
//! spreadsheet. Exports prefix such text cells with `'`; imports refuse them (see
//! `import`), so nothing formula-like enters the catalogue from a file.

/// Whether a text cell would start a formula.
pub fn formula_like(cell: &str) -> bool {
    matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
    )
}

/// A text cell as exported: prefixed with `'` when it would start a formula.
pub fn neutralise(cell: &str) -> String {
    if formula_like(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_others_kept() {
        for bad in [
            "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "＝1", "＋1", "－1", "＠x",
        ] {
            assert!(formula_like(bad), "{bad:?}");
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for ok in ["Mug", "", " =x", "1-2", "a@b"] {
            assert_eq!(neutralise(ok), ok);
        }
    }
}
