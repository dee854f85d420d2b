//! Customer accounts: registration, login, profile and address book (issue in progress).

pub mod calling_codes;
