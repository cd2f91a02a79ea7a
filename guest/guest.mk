# The test guest (owned by guest/); builds $(B)/guest/testguest.
.PHONY: guest
guest:
