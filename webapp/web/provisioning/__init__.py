"""Settings → Setup (workspace provisioning) and Stripe's checkout webhook."""
