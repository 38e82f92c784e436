/** Name of the check run the Stagegate app posts on a promotion's head commit. */
export const CHECK_NAME = 'stagegate';
