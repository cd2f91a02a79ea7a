/* SPDX-License-Identifier: ISC */
/* vmctl: the command table and what commands share. */
#ifndef VMCTL_VMCTL_H
#define VMCTL_VMCTL_H

/* Options before the command, shared by every command. */
struct vmctl_opts {
	const char	*socket;
	int		 verbose;
};

struct vmctl_cmd {
	const char	*name;
	const char	*usage;
	int		(*run)(const struct vmctl_opts *, int, char *[]);
};

/* cmd_find: the command named by name or a unique prefix of one; NULL. */
const struct vmctl_cmd *cmd_find(const char *name, int *ambiguous);
void	cmd_usage_all(void);
void	cmd_usage(const struct vmctl_cmd *) __attribute__((noreturn));

int	cmd_run(const struct vmctl_opts *, int, char *[]);

#endif /* VMCTL_VMCTL_H */
