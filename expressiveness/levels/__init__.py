"""The CNN's expressiveness levels: crops to tf.data, the model, training, evaluation and LiteRT
inference. Import the modules themselves (training ones load TensorFlow; predict does not)."""
