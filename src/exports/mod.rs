//! What every file the shop writes for spreadsheets shares: text cells that a spreadsheet
//! would run as a formula are neutralised (POLICY "Exports"). Product CSV export and import
//! and the audit log archive use it; the reports issue brings its CSV and XLSX writers here.

pub mod cells;
pub mod csv;
