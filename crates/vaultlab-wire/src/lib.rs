//! What the vaultlab client and its sandbox both speak: Vault's JSON envelopes, Go's
//! durations as Vault prints them, AWS's XML error bodies, IAM's policy grammar,
//! secrets that must be stored as well as held, and the workshop room's control API.
//! Nothing here does I/O but writing a private file.

pub mod aws_xml;
pub mod envelope;
pub mod go_duration;
pub mod iam_policy;
pub mod private_file;
pub mod room;
pub mod secret;
