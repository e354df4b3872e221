//! govern's native core: the Avro schema parser behind `govern.avro.parse_schema` (avro_parse.rs)
//! and the fixture codec (docs/fixtures.md): the JSON mapping of Avro values both ways over a
//! schema compiled once, replay's line validation into spool records, and record's message lines.
//! Built as the Python module `govern._native` (feature `python`, see setup.py).

pub mod decode;
pub mod encode;
pub mod json;
pub mod lines;
pub mod numbers;
pub mod record;
pub mod schema;
pub mod time;

#[cfg(feature = "python")]
mod avro_parse;
#[cfg(feature = "python")]
mod objects;
#[cfg(feature = "python")]
mod python;

#[cfg(test)]
mod tests;
