//! Text utilities the steps of a board definition use: HTML to text,
//! dates and instants, and free-text salary labels.

pub mod html;
pub mod salary;
pub mod time;
