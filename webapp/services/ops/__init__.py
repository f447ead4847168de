"""Operations: deployment and workspace health, the issues they add up to, alerts and job history."""
