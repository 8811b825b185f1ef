//! Tokio adapter for Viper: sockets, clock and tasks around the sans-IO server core.
