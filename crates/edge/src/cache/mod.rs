//! The edge's chunk cache: an on-disk store under a byte quota and a
//! free-space floor, evicting with S3-FIFO.

mod s3fifo;
mod store;

pub use s3fifo::S3Fifo;
pub use store::{ChunkKey, ChunkStore, StoreError, StoreStats, DEFAULT_MEMORY_CACHE};
