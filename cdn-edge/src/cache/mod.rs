//! The edge's chunk cache: the eviction policy (and, with issue #3, the
//! on-disk store that uses it).

mod s3fifo;

pub use s3fifo::S3Fifo;
