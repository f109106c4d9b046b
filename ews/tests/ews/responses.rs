//! Response parsing on realistic Exchange answers.
