//! Durability: the real binary restarted after SIGTERM and after kill -9 loses nothing it
//! acknowledged (tickets, timelines, numbers, global event ids).

mod crash;
mod recovery;
