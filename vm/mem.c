/* SPDX-License-Identifier: ISC */
/* placeholder until written */
